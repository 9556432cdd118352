/**
 * The words a user may type for a runtime type: today's names, the API's, and the old ones people
 * still know. The API and the stored records keep `automatic` for what Azure now calls a compute
 * session.
 */
import type { RuntimeType } from '../../domain/runtime';

const TYPE_WORDS: Record<string, RuntimeType> = {
  session: 'automatic',
  'compute-session': 'automatic',
  computesession: 'automatic',
  automatic: 'automatic',
  serverless: 'automatic',
  ci: 'computeInstance',
  computeinstance: 'computeInstance',
  'compute-instance': 'computeInstance',
  deployment: 'managedOnlineDeployment',
  managedonlinedeployment: 'managedOnlineDeployment',
  mir: 'managedOnlineDeployment',
};

/** The runtime type a word names, if any (case does not matter). */
export function runtimeTypeOf(word: string): RuntimeType | undefined {
  return Object.hasOwn(TYPE_WORDS, word.toLowerCase()) ? TYPE_WORDS[word.toLowerCase()] : undefined;
}

/** What the usage lines offer. */
export const TYPE_CHOICES = 'session (automatic), ci or deployment';
