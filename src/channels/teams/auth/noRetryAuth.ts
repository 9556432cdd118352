/**
 * Bot Framework authentication whose connector clients never retry by themselves. The SDK's default
 * pipeline retries a POST after a 5xx (creating a second message when the first was accepted) and
 * waits out 429s inside the call, hiding throttling from our send queue. Proactive sends take their
 * connector from createConnectorFactory, so this covers them; the queue does its own retries.
 */
import { ConfigurationBotFrameworkAuthentication } from '../sdk';

type ClaimsIdentity = Parameters<ConfigurationBotFrameworkAuthentication['createConnectorFactory']>[0];
type ConnectorFactory = ReturnType<ConfigurationBotFrameworkAuthentication['createConnectorFactory']>;
type ConnectorClient = Awaited<ReturnType<ConnectorFactory['create']>>;

export class NoRetryBotFrameworkAuthentication extends ConfigurationBotFrameworkAuthentication {
  override createConnectorFactory(claimsIdentity: ClaimsIdentity): ConnectorFactory {
    const inner = super.createConnectorFactory(claimsIdentity);
    return { create: async (serviceUrl, audience) => withoutRetry(await inner.create(serviceUrl, audience)) };
  }
}

function withoutRetry(client: ConnectorClient): ConnectorClient {
  type Pipeline = { removePolicy(options: { name: string }): unknown[] };
  const pipeline = (client as unknown as { client?: { pipeline?: Pipeline } }).client?.pipeline;
  // Fail loudly if an SDK update moves the policy: silently keeping it would bring duplicates back.
  if (pipeline?.removePolicy({ name: 'defaultRetryPolicy' }).length !== 1)
    throw new Error('botframework-connector changed: no defaultRetryPolicy on the ConnectorClient pipeline');
  return client;
}
