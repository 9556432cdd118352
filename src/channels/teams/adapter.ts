/**
 * The Bot Framework adapter. With an app id, botbuilder verifies every request's JWT (issuer, signing
 * key and its endorsements, algorithm, lifetime, audience, serviceurl claim). Unlike
 * `CloudAdapter.process`, which answers 500 with the library's text for any failure that is not an
 * AuthenticationError (a forged signature, a future `nbf`, `alg: none`, unreachable keys), the edge
 * runs the check and the turn as two steps, so every refused token is a 401 (see server.ts).
 * Turn errors are logged with the stack and answered with errorText's sentence: users never see internals.
 */
import {
  type Activity,
  type AuthenticateRequestResult,
  CloudAdapter,
  type ConfigurationBotFrameworkAuthenticationOptions,
  type TurnContext,
} from './sdk';
import type { BotConfig } from '../../config';
import { errorText } from '../../core/errorText';
import type { Logger } from '../../logger';
import { correlationIdOf } from './middleware/correlation';
import { credentialsFactory } from './auth/credentials';
import { NoRetryBotFrameworkAuthentication } from './auth/noRetryAuth';
import { quietly } from './auth/quietConsole';
import { refusalReason, TokenRefusedError } from './auth/tokenRefusal';
import { markdownOf } from './render/text';

export class BotAdapter extends CloudAdapter {
  /** Step one: the request's token. Any failure, whatever threw it, is a TokenRefusedError. */
  async authenticate(activity: Activity, authHeader: string): Promise<AuthenticateRequestResult> {
    try {
      return await quietly(() => this.botFrameworkAuthentication.authenticateRequest(activity, authHeader));
    } catch (error) {
      throw new TokenRefusedError(refusalReason(error));
    }
  }

  /** Step two: the turn, for a request that passed step one. Resolves with the invoke response, if any. */
  run(auth: AuthenticateRequestResult, activity: Activity, logic: (context: TurnContext) => Promise<void>) {
    return this.processActivity(auth, activity, logic);
  }
}

export function createAdapter(config: BotConfig, log: Logger): BotAdapter {
  const settings = {
    MicrosoftAppId: config.appId ?? '',
    MicrosoftAppTenantId: config.appTenantId ?? '',
    // A sovereign or private cloud: all eight endpoints, since botbuilder then fills in none.
    ...config.botFramework,
  };
  const auth = new NoRetryBotFrameworkAuthentication(
    settings as ConfigurationBotFrameworkAuthenticationOptions,
    credentialsFactory(config),
  );
  const adapter = new BotAdapter(auth);
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
      await context.sendActivity(markdownOf(errorText(error, correlationId))).catch(() => undefined);
    }
  };
  return adapter;
}
