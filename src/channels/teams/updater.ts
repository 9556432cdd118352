/** Replaces earlier bot messages (operation progress) through stored conversation references. */
import type { CloudAdapter } from './sdk';
import type { Reply } from '../../core/replies';
import type { MessageUpdater } from '../../core/tracking/tracker';
import type { Logger } from '../../logger';
import type { ConversationStore } from './conversations';
import { toActivity } from './render/activity';

export class TeamsMessageUpdater implements MessageUpdater {
  constructor(
    private readonly adapter: CloudAdapter,
    private readonly appId: string,
    private readonly conversations: ConversationStore,
    private readonly log: Logger,
  ) {}

  async update(conversationKey: string, messageId: string, reply: Reply): Promise<void> {
    const reference = await this.conversations.get(conversationKey);
    if (!reference) {
      this.log.warn('no conversation reference for an update', { conversationKey });
      return;
    }
    await this.adapter.continueConversationAsync(this.appId, reference, async (context) => {
      await context.updateActivity({ ...toActivity(reply), id: messageId });
    });
  }
}
