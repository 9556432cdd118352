/** The bot's own settings: its identity and the Bot Framework's endpoints, the policy, the digest, the retirement calendar. */
import path from 'node:path';
import { type EnvReader, GUID } from './reader';
import {
  BOT_APP_TYPES,
  type BotConfig,
  type BotFrameworkEndpoints,
  RETIREMENT_DEFAULTS,
  type RetirementConfig,
} from './types';

/** The package root (in a build, dist/), where the Playground's policy lives. */
const ROOT = path.resolve(__dirname, '../..');

/**
 * POLICY_FILE. In local mode the Playground's demo policy, so approvals can be tried at once. With an
 * app id there is no default: the bot refuses to start rather than let every user of an allowed
 * tenant change runtimes without approvals. `none` is that choice, made on purpose.
 */
export function policyFile(env: EnvReader, appId: string | undefined, playground: boolean): { policyFile?: string } {
  const configured = env.str('POLICY_FILE');
  if (configured) return configured.toLowerCase() === 'none' ? {} : { policyFile: path.resolve(configured) };
  if (appId) {
    env.problems.push(
      'POLICY_FILE is required when MicrosoftAppId is set: name a policy file that says who may change runtimes ' +
        '(see policy.example.yaml), or set POLICY_FILE=none to let every user of an allowed tenant change them without approvals',
    );
    return {};
  }
  return playground ? { policyFile: path.join(ROOT, 'playground/policy.yaml') } : {};
}

/**
 * The bot's identity (MicrosoftAppId, MicrosoftAppType, MicrosoftAppTenantId, MicrosoftAppPassword) and
 * where the Bot Framework is. Every combination botbuilder would refuse, or would accept and then fail
 * on at the first message, is a problem here, with what to set.
 */
export function botIdentity(
  env: EnvReader,
): Pick<BotConfig, 'appId' | 'appPassword' | 'appType' | 'appTenantId' | 'botFramework'> {
  const appId = env.str('MicrosoftAppId');
  const appPassword = env.str('MicrosoftAppPassword');
  const appTenantId = env.str('MicrosoftAppTenantId');
  const rawType = env.str('MicrosoftAppType');
  // Unset means MultiTenant, as in botbuilder: existing registrations keep working without a new setting.
  const appType = rawType ? BOT_APP_TYPES.find((t) => t.toLowerCase() === rawType.toLowerCase()) : 'MultiTenant';
  if (!appType) env.problems.push(`MicrosoftAppType must be one of ${BOT_APP_TYPES.join(', ')} (got "${rawType}")`);
  if (!appId) {
    // A password or tenant without an app id is a typo in the app id's name, not a wish for no authentication.
    for (const name of ['MicrosoftAppPassword', 'MicrosoftAppTenantId'])
      if (env.str(name))
        env.problems.push(`${name} is set but MicrosoftAppId is not; set MicrosoftAppId to turn authentication on`);
    return { appType: appType ?? 'MultiTenant' };
  }
  if (!GUID.test(appId)) env.problems.push(`MicrosoftAppId must be the Azure Bot's app id, a GUID (got "${appId}")`);
  if (appTenantId && !GUID.test(appTenantId))
    env.problems.push(`MicrosoftAppTenantId must be a tenant id, a GUID (got "${appTenantId}")`);
  if (appType === 'UserAssignedMSI') {
    if (appPassword)
      env.problems.push('MicrosoftAppPassword must not be set for UserAssignedMSI: a managed identity has no secret');
    if (!appTenantId) env.problems.push("MicrosoftAppTenantId is required for UserAssignedMSI (the identity's tenant)");
  } else if (appType) {
    if (!appPassword)
      env.problems.push(
        `MicrosoftAppPassword is required when MicrosoftAppId is set (MicrosoftAppType=${appType}); a bot with a managed identity sets MicrosoftAppType=UserAssignedMSI instead`,
      );
    if (appType === 'SingleTenant' && !appTenantId)
      env.problems.push('MicrosoftAppTenantId is required for a SingleTenant bot');
    if (appType === 'MultiTenant' && appTenantId)
      env.problems.push(
        'MicrosoftAppTenantId is only used by SingleTenant and UserAssignedMSI bots: set MicrosoftAppType to the type of the Azure Bot',
      );
  }
  return {
    appId,
    ...(appPassword ? { appPassword } : {}),
    appType: appType ?? 'MultiTenant',
    ...(appTenantId ? { appTenantId } : {}),
    ...botFrameworkEndpoints(env),
  };
}

/** The Bot Framework's endpoints for a sovereign or private cloud: all of them, or none (the public cloud). */
function botFrameworkEndpoints(env: EnvReader): { botFramework?: BotFrameworkEndpoints } {
  const urls = [
    'ToBotFromChannelOpenIdMetadataUrl',
    'ToBotFromEmulatorOpenIdMetadataUrl',
    'ToChannelFromBotLoginUrl',
    'OAuthUrl',
  ] as const;
  const names = ['ToBotFromChannelTokenIssuer', 'ToChannelFromBotOAuthScope', 'CallerId'] as const;
  const set = [...urls, ...names].filter((name) => env.str(name));
  if (set.length === 0) return {};
  const missing = [...urls, ...names].filter((name) => !env.str(name));
  if (missing.length) {
    env.problems.push(
      `${set[0]} is set, so botbuilder takes every Bot Framework endpoint from the settings: set ${missing.join(', ')} too (or none of them for the public cloud)`,
    );
    return {};
  }
  for (const name of urls) env.httpsUrl(name);
  const value = (name: (typeof urls)[number] | (typeof names)[number]) => env.str(name)!;
  return {
    botFramework: {
      ToBotFromChannelOpenIdMetadataUrl: value('ToBotFromChannelOpenIdMetadataUrl'),
      ToBotFromEmulatorOpenIdMetadataUrl: value('ToBotFromEmulatorOpenIdMetadataUrl'),
      ToBotFromChannelTokenIssuer: value('ToBotFromChannelTokenIssuer'),
      ToChannelFromBotLoginUrl: value('ToChannelFromBotLoginUrl'),
      ToChannelFromBotOAuthScope: value('ToChannelFromBotOAuthScope'),
      OAuthUrl: value('OAuthUrl'),
      CallerId: value('CallerId'),
      ValidateAuthority: env.bool('ValidateAuthority', true),
    },
  };
}

/** DIGEST_TIME: HH:MM in UTC, or off. */
export function digestTime(env: EnvReader): { digestTime?: string } {
  const raw = env.str('DIGEST_TIME') ?? '08:00';
  if (raw.toLowerCase() === 'off') return {};
  const match = /^([01]?\d|2[0-3]):([0-5]\d)$/.exec(raw);
  if (!match) {
    env.problems.push(`DIGEST_TIME must be HH:MM (24-hour, UTC) or off (got "${raw}")`);
    return {};
  }
  return { digestTime: `${match[1].padStart(2, '0')}:${match[2]}` };
}

/** PROMPTFLOW_*: the retirement calendar, each date a real calendar day, the freeze before the retirement. */
export function retirement(env: EnvReader): RetirementConfig {
  const day = (name: string, fallback: string) => {
    const raw = env.str(name);
    if (raw === undefined) return fallback;
    if (!isCalendarDay(raw)) {
      env.problems.push(`${name} must be a date as YYYY-MM-DD (got "${raw}")`);
      return fallback;
    }
    return raw;
  };
  const retiresOn = day('PROMPTFLOW_RETIREMENT_DATE', RETIREMENT_DEFAULTS.retiresOn);
  const featureFreezeOn = day('PROMPTFLOW_FEATURE_FREEZE_DATE', RETIREMENT_DEFAULTS.featureFreezeOn);
  if (featureFreezeOn >= retiresOn)
    env.problems.push(
      `PROMPTFLOW_FEATURE_FREEZE_DATE (${featureFreezeOn}) must be before PROMPTFLOW_RETIREMENT_DATE (${retiresOn})`,
    );
  const lastImage = env.str('PROMPTFLOW_LAST_IMAGE') ?? RETIREMENT_DEFAULTS.lastImage;
  if (!/^\d{8}\.v\d{1,4}$/.test(lastImage))
    env.problems.push(`PROMPTFLOW_LAST_IMAGE must be an image tag like 20251211.v2 (got "${lastImage}")`);
  return { retiresOn, featureFreezeOn, lastImage };
}

/** YYYY-MM-DD naming a day that exists (no 2027-02-30). */
function isCalendarDay(text: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) return false;
  const [y, m, d] = match.slice(1).map(Number);
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}
