import { stringify } from 'yaml';

// Shapes and defaults of `.m365agentsplayground.yml`, read from the JSON schema bundled in
// @microsoft/m365agentsplayground 0.2.28 (schema id .../teams-app-test-tool-config/0.1.1/config.schema.json).

/** A person as written in the config file. Every field is required by the schema. */
export interface PlaygroundUser {
  id: string;
  name: string;
  /** Spelled `userPrincipleName` (sic) by the schema. */
  userPrincipleName: string;
  aadObjectId: string;
  givenName: string;
  surname: string;
  email: string;
}

export interface PlaygroundConfigFile {
  version: '0.1.1';
  tenantId: string;
  bot: { id: string; name: string };
  currentUser: PlaygroundUser;
  /** Exactly five users (schema minItems = maxItems = 5); all are members of the group chat and the team. */
  users: PlaygroundUser[];
  personalChat: { id: string };
  groupChat: { id: string; name: string };
  /** The General channel is implicit: its conversation id is the team id. At most one more channel. */
  team: { id: string; name: string; aadGroupId: string; channels: { id: string; name: string }[] };
}

/** What a test usually cares about; everything else gets a default. */
export interface PersonSpec {
  name: string;
  aadObjectId: string;
  id?: string;
  email?: string;
}

export interface PlaygroundConfigSpec {
  currentUser?: PersonSpec;
  /** Up to five more people; missing slots are filled with the Playground's default users. */
  users?: PersonSpec[];
  tenantId?: string;
  bot?: { id?: string; name?: string };
  personalChatId?: string;
  groupChat?: { id?: string; name?: string };
  team?: { id?: string; name?: string; aadGroupId?: string; channels?: { id?: string; name: string }[] };
}

const aad = (n: number): string => `00000000-0000-0000-0000-00000000000${n}`;

// The built-in config (used when no file is present); ids end in ...020 for the current user, ...021-025 for others.
export const PLAYGROUND_DEFAULTS = {
  tenantId: '00000000-0000-0000-0000-0000000000001',
  bot: { id: '00000000-0000-0000-0000-00000000000011', name: 'Test Bot' },
  currentUser: { id: 'user-id-0', name: 'Alex Wilber', aadObjectId: aad(20) },
  users: [
    { id: 'user-id-1', name: 'Megan Bowen', aadObjectId: aad(21) },
    { id: 'user-id-2', name: 'Adele Vance', aadObjectId: aad(22) },
    { id: 'user-id-3', name: 'Isaiah Langer', aadObjectId: aad(23) },
    { id: 'user-id-4', name: 'Patti Fernandez', aadObjectId: aad(24) },
    { id: 'user-id-5', name: 'Lynne Robbins', aadObjectId: aad(25) },
  ],
  groupChat: { name: 'Group Chat' },
  team: {
    id: 'team-id',
    name: 'My Team',
    aadGroupId: '00000000-0000-0000-0000-000000000031',
    channels: [{ id: 'channel-announcements-id', name: 'Announcements' }],
  },
} as const;

const USERS_IN_FILE = 5;

function slug(name: string): string {
  return (
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '.')
      .replace(/^\.|\.$/g, '') || 'user'
  );
}

export function toPlaygroundUser(p: PersonSpec, fallbackId: string): PlaygroundUser {
  const [givenName, ...rest] = p.name.split(' ');
  const email = p.email ?? `${slug(p.name)}@example.com`;
  return {
    id: p.id ?? fallbackId,
    name: p.name,
    userPrincipleName: email,
    aadObjectId: p.aadObjectId,
    givenName: givenName || p.name,
    surname: rest.join(' ') || p.name,
    email,
  };
}

/** Builds a complete, schema-valid config object. Throws on what the Playground would reject at start-up. */
export function buildPlaygroundConfig(spec: PlaygroundConfigSpec = {}): PlaygroundConfigFile {
  const d = PLAYGROUND_DEFAULTS;
  const currentUser = toPlaygroundUser(spec.currentUser ?? d.currentUser, d.currentUser.id);
  const given = (spec.users ?? []).map((u, i) => toPlaygroundUser(u, `user-id-${i + 1}`));
  if (given.length > USERS_IN_FILE) throw new Error(`the Playground takes exactly ${USERS_IN_FILE} users`);
  const taken = new Set([currentUser.id, currentUser.aadObjectId, ...given.flatMap((u) => [u.id, u.aadObjectId])]);
  // Pad with default people whose ids are still free (the current user may be a default person).
  const defaults: { id: string; name: string; aadObjectId: string }[] = [...d.users, d.currentUser];
  const padding = defaults
    .filter((u) => !taken.has(u.id) && !taken.has(u.aadObjectId))
    .map((u) => toPlaygroundUser(u, u.id));
  const users = [...given, ...padding].slice(0, USERS_IN_FILE);

  const channels = (spec.team?.channels ?? d.team.channels).map((c, i) => ({
    id: c.id ?? `channel-${i + 1}-id`,
    name: c.name,
  }));
  if (channels.length > 1) throw new Error('the Playground supports one channel besides General');
  const config: PlaygroundConfigFile = {
    version: '0.1.1',
    tenantId: spec.tenantId ?? d.tenantId,
    bot: { id: spec.bot?.id ?? d.bot.id, name: spec.bot?.name ?? d.bot.name },
    currentUser,
    users,
    personalChat: { id: spec.personalChatId ?? 'personal-chat-id' },
    groupChat: { id: spec.groupChat?.id ?? 'group-chat-id', name: spec.groupChat?.name ?? d.groupChat.name },
    team: {
      id: spec.team?.id ?? d.team.id,
      name: spec.team?.name ?? d.team.name,
      aadGroupId: spec.team?.aadGroupId ?? d.team.aadGroupId,
      channels,
    },
  };
  checkUnique([config.currentUser.id, ...config.users.map((u) => u.id)], 'user id');
  checkUnique(
    [config.personalChat.id, config.groupChat.id, config.team.id, ...channels.map((c) => c.id)],
    'conversation id',
  );
  if (config.bot.name.length > 42) throw new Error('bot name is limited to 42 characters');
  return config;
}

function checkUnique(ids: string[], what: string): void {
  const dup = ids.find((id, i) => ids.indexOf(id) !== i);
  if (dup !== undefined) throw new Error(`duplicate ${what}: ${dup}`);
}

/** YAML text for `.m365agentsplayground.yml`. */
export function playgroundConfigYaml(spec: PlaygroundConfigSpec | PlaygroundConfigFile = {}): string {
  const config = 'version' in spec ? spec : buildPlaygroundConfig(spec);
  return stringify(config);
}
