/** Turns a core reply into a Bot Framework message activity. */
import { ActivityTypes, type Activity } from 'botbuilder';
import type { Reply } from '../../core/replies';
import { toMarkdown } from './markdown';

export function toActivity(reply: Reply): Partial<Activity> {
  return { type: ActivityTypes.Message, text: toMarkdown(reply), textFormat: 'markdown' };
}
