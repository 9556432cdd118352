/** Factories for the activities Teams sends, and a helper to POST them to the bot. */
import { randomUUID } from 'node:crypto';

export const TENANT = '00000000-0000-0000-0000-0000000000001';
/** The demo people, as the product's Playground config (playground/.m365agentsplayground.yml) has them. */
export const PEOPLE = {
  alex: { id: 'user-id-0', name: 'Alex Wilber', aadObjectId: '00000000-0000-0000-0000-0000000000020' },
  megan: { id: 'user-id-1', name: 'Megan Bowen', aadObjectId: '00000000-0000-0000-0000-0000000000021' },
  adele: { id: 'user-id-2', name: 'Adele Vance', aadObjectId: '00000000-0000-0000-0000-0000000000022' },
};
export type Who = keyof typeof PEOPLE;

export interface Where {
  kind: 'personal' | 'channel';
  conversationId?: string;
}

export function messageActivity(
  serviceUrl: string,
  text: string,
  who: Who = 'alex',
  where: Where = { kind: 'personal' },
  extra: Record<string, unknown> = {},
) {
  const person = PEOPLE[who];
  const channel = where.kind === 'channel';
  const conversationId = where.conversationId ?? (channel ? '19:general@thread.tacv2' : `a:personal-${who}`);
  return {
    type: 'message',
    id: randomUUID(),
    timestamp: new Date().toISOString(),
    channelId: 'msteams',
    serviceUrl,
    from: person,
    recipient: { id: '28:bot-id', name: 'Runtime Bot' },
    conversation: {
      id: conversationId,
      conversationType: channel ? 'channel' : 'personal',
      tenantId: TENANT,
      ...(channel ? { isGroup: true } : {}),
    },
    // Channels need an @mention; Teams puts it in the text and in entities.
    text: channel ? `<at>Runtime Bot</at> ${text}` : text,
    entities: channel
      ? [{ type: 'mention', text: '<at>Runtime Bot</at>', mentioned: { id: '28:bot-id', name: 'Runtime Bot' } }]
      : [],
    channelData: {
      tenant: { id: TENANT },
      ...(channel ? { channel: { id: '19:general@thread.tacv2' }, team: { id: '19:team@thread.tacv2' } } : {}),
    },
    ...extra,
  };
}

export async function postActivity(
  botUrl: string,
  activity: object,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  const res = await fetch(`${botUrl}/api/messages`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify(activity),
  });
  return { status: res.status, body: await res.text() };
}
