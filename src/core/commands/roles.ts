import path from 'node:path';
import { ROLES, type Role } from '../policy/policy';
import { quoted, quotedWords } from '../userText';
import type { Command } from './types';
import { allowFlags, usageError } from './types';
import { code, t, text, type Text } from '../text';

export const rolesCommand: Command = {
  name: 'roles',
  aliases: ['role'],
  summary: 'Who holds which role; owners grant and revoke roles.',
  usage: 'roles\nroles grant <object id> <owner|dataScientist|viewer>\nroles revoke <object id> <role>',
  examples: ['roles', 'roles grant 00000000-0000-0000-0000-0000000000023 dataScientist'],
  sideEffects: true,
  async run(ctx) {
    allowFlags(ctx, []);
    const { policy, audit } = ctx.deps;
    const [verb, objectId, role] = ctx.args.args;
    const list = async (notice?: Text) => ({
      kind: 'roles' as const,
      people: (await policy.roster()).map((p) => ({
        objectId: p.objectId,
        ...(p.name ? { name: p.name } : {}),
        roles: p.roles,
      })),
      ...(notice ? { notice } : {}),
      ...(policy.current() ? { policySource: path.basename(policy.current()!.source) } : {}),
    });
    if (!verb) return list();
    if (verb !== 'grant' && verb !== 'revoke') throw usageError(`Unknown ${quoted(verb, 20)}: use grant or revoke.`);
    if (!policy.current())
      return { kind: 'error', text: text('No policy is configured (POLICY_FILE), so there are no roles to grant.') };
    if (!objectId || !role) throw usageError('Name the person by Entra object id, then the role.');
    if (!(ROLES as readonly string[]).includes(role))
      throw usageError(`Unknown role ${quoted(role, 30)}: use ${ROLES.join(', ')}.`);
    if (!/^[A-Za-z0-9-]{1,64}$/.test(objectId)) throw usageError(`${quoted(objectId, 70)} is not an Entra object id.`);
    const me = ctx.request.user;
    const base = {
      actor: { id: me.id, ...(me.name ? { name: me.name } : {}) },
      conversation: { id: ctx.request.conversation.id, type: ctx.request.conversation.type },
    };
    if (!(await policy.hasRole(me.id, 'owner'))) {
      await audit.append({
        ...base,
        action: 'deny',
        details: { reason: `roles ${verb} needs the owner role`, objectId, role },
      });
      return { kind: 'error', text: text('Only owners can grant or revoke roles.') };
    }
    if (verb === 'grant') await policy.grants.grant(objectId, role as Role, me.id, policy.nameOf(objectId));
    else await policy.grants.revoke(objectId, role as Role, me.id);
    await audit.append({ ...base, action: verb, details: { objectId, role } });
    const who = code(quotedWords(policy.nameOf(objectId) ?? objectId, 70));
    return list(t`${verb === 'grant' ? 'Granted' : 'Revoked'} ${role} ${verb === 'grant' ? 'to' : 'from'} ${who}.`);
  },
};
