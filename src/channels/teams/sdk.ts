/**
 * The one door to the Bot Framework SDK. `botbuilder` is archived; its successor
 * (`@microsoft/agents-hosting`) keeps nearly the same names, so a port changes this file and the
 * few places that construct the adapter, not the whole edge.
 */
export {
  ActivityTypes,
  CardFactory,
  CloudAdapter,
  ConfigurationBotFrameworkAuthentication,
  ConfigurationServiceClientCredentialFactory,
  TeamsActivityHandler,
  TurnContext,
} from 'botbuilder';
export type {
  Activity,
  AdaptiveCardInvokeResponse,
  AdaptiveCardInvokeValue,
  ConfigurationBotFrameworkAuthenticationOptions,
  ConversationReference,
  InvokeResponse,
  Middleware,
} from 'botbuilder';

// botframework-connector's types, reached through botbuilder (the package the project depends on).
import type { ConfigurationBotFrameworkAuthentication as Auth } from 'botbuilder';
/** What a request's token check yields: its claims, and the factory of its connector clients. */
export type AuthenticateRequestResult = Awaited<ReturnType<Auth['authenticateRequest']>>;
/** Makes the credentials a bot signs its calls to the channel with. */
export type ServiceClientCredentialsFactory = NonNullable<ConstructorParameters<typeof Auth>[1]>;
