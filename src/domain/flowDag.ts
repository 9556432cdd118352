/**
 * Reads the `environment` section of a prompt flow's flow.dag.yaml: the base image and the
 * requirements file it names. Broken YAML gets the parser's line and column, so the user can find
 * the mistake in their file.
 */
import { isMap, parseDocument } from 'yaml';
import { badRequest } from '../errors';

export interface FlowEnvironment {
  image?: string;
  pythonRequirementsTxt?: string;
}

const MAX_BYTES = 200_000;

export function readFlowEnvironment(text: string): FlowEnvironment {
  if (Buffer.byteLength(text) > MAX_BYTES)
    throw badRequest('flow.dag.yaml is larger than 200 KB.', { flowDag: 'larger than 200 KB' });
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: false });
  const first = doc.errors[0];
  if (first) {
    const pos = first.linePos?.[0];
    const where = pos ? `line ${pos.line}, column ${pos.col}` : 'an unknown position';
    const what = first.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
    const message = `flow.dag.yaml is not valid YAML at ${where}: ${what}`;
    throw badRequest(message, { flowDag: message });
  }
  const root = doc.contents;
  if (!isMap(root))
    throw badRequest('flow.dag.yaml must be a mapping with keys such as inputs, nodes and environment.', {
      flowDag: 'not a mapping',
    });
  const env = toJS(doc)?.environment as unknown;
  if (env === undefined || env === null) return {};
  if (typeof env !== 'object' || Array.isArray(env)) {
    throw badRequest('environment in flow.dag.yaml must be a mapping (image, python_requirements_txt).', {
      flowDag: 'environment is not a mapping',
    });
  }
  const { image, python_requirements_txt: requirements } = env as Record<string, unknown>;
  const out: FlowEnvironment = {};
  if (image !== undefined) {
    if (typeof image !== 'string' || !image.trim())
      throw badRequest('environment.image must be an image reference.', {
        flowDag: 'environment.image is not a string',
      });
    out.image = image.trim();
  }
  if (requirements !== undefined) {
    if (typeof requirements !== 'string' || !requirements.trim()) {
      throw badRequest('environment.python_requirements_txt must be a file name.', {
        flowDag: 'python_requirements_txt is not a string',
      });
    }
    out.pythonRequirementsTxt = requirements.trim();
  }
  return out;
}

/** The document as plain values; an alias bomb is the user's mistake, said as such, not a crash. */
function toJS(doc: ReturnType<typeof parseDocument>): Record<string, unknown> | undefined {
  try {
    return doc.toJS({ maxAliasCount: 50 });
  } catch (error) {
    if (!(error instanceof ReferenceError)) throw error;
    const message = 'flow.dag.yaml repeats its aliases (*name) too many times.';
    throw badRequest(message, { flowDag: message });
  }
}
