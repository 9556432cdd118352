/**
 * How the edge turns an activity away after authentication: a click (invoke) gets a 403 answer the
 * client can show; anything else is dropped without a reply, because a reply would go to whoever
 * sent it, and 200 keeps the channel from retrying.
 */
import type { TurnContext } from '../sdk';

export async function refuseActivity(context: TurnContext, message: string): Promise<void> {
  if (context.activity.type !== 'invoke') return;
  await context.sendActivity({
    type: 'invokeResponse',
    value: {
      status: 403,
      body: { statusCode: 403, type: 'application/vnd.microsoft.error', value: { code: 'Forbidden', message } },
    },
  });
}
