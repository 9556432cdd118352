/**
 * The Bot Framework adapter. With an app id, CloudAdapter verifies every request's JWT (issuer,
 * signing key, audience, serviceUrl claim) and answers 401 otherwise. Turn errors are logged with
 * the stack and answered with errorText's sentence: users never see internals.
 */
import {
  CloudAdapter,
  type ConfigurationBotFrameworkAuthenticationOptions,
  ConfigurationServiceClientCredentialFactory,
  type TurnContext,
} from './sdk';
import type { BotConfig } from '../config';
import { errorText } from '../core/errorText';
import type { Logger } from '../logger';
import { correlationIdOf } from './correlation';
import { NoRetryBotFrameworkAuthentication } from './noRetryAuth';

export function createAdapter(config: BotConfig, log: Logger): CloudAdapter {
  const settings = {
    MicrosoftAppId: config.appId ?? '',
    MicrosoftAppPassword: config.appPassword ?? '',
    MicrosoftAppType: config.appType,
    MicrosoftAppTenantId: config.appTenantId ?? '',
  };
  const credentials = new ConfigurationServiceClientCredentialFactory(settings);
  const auth = new NoRetryBotFrameworkAuthentication(
    settings as ConfigurationBotFrameworkAuthenticationOptions,
    credentials,
  );
  const adapter = new CloudAdapter(auth);
  adapter.onTurnError = async (context: TurnContext, error: Error) => {
    const correlationId = correlationIdOf(context);
    log.error('unhandled turn error', {
      error,
      correlationId,
      activityType: context.activity.type,
      conversation: context.activity.conversation?.id,
    });
    if (context.activity.type === 'message') {
      // A storage outage gets its own sentence; anything else, the generic one with the id.
      await context.sendActivity(errorText(error, correlationId)).catch(() => undefined);
    }
  };
  return adapter;
}
