/** The environment section of a flow.dag.yaml, and a clear message with line and column for a broken file. */
import { describe, expect, it } from 'vitest';
import { readFlowEnvironment } from '../../src/domain/flowDag';
import { AppError } from '../../src/errors';

function refusal(text: string): { message: string; fields?: Record<string, string> } {
  try {
    readFlowEnvironment(text);
  } catch (error) {
    if (error instanceof AppError) return { message: error.message, fields: error.fields };
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('readFlowEnvironment', () => {
  it('should read the image and the requirements file, trimmed', () => {
    const dag = [
      'inputs: {}',
      'environment:',
      '  image: " mcr.microsoft.com/azureml/promptflow/promptflow-runtime-stable:20251211.v2 "',
      '  python_requirements_txt: requirements.txt',
      'nodes: []',
    ].join('\n');
    expect(readFlowEnvironment(dag)).toEqual({
      image: 'mcr.microsoft.com/azureml/promptflow/promptflow-runtime-stable:20251211.v2',
      pythonRequirementsTxt: 'requirements.txt',
    });
  });

  it('should read a flow without an environment as nothing asked for', () => {
    expect(readFlowEnvironment('inputs: {}\nnodes: []\n')).toEqual({});
    expect(readFlowEnvironment('environment:\n')).toEqual({});
  });

  it('should say where broken YAML is broken', () => {
    const { message, fields } = refusal('inputs:\n  question: [\nnodes: []\n');
    expect(message).toMatch(/^flow\.dag\.yaml is not valid YAML at line \d+, column \d+: /);
    expect(fields).toEqual({ flowDag: message });
  });

  it('should refuse a document that is not a mapping, and an environment that is not one', () => {
    expect(refusal('- a\n- b\n').message).toContain('must be a mapping');
    expect(refusal('environment: python3\n').message).toBe(
      'environment in flow.dag.yaml must be a mapping (image, python_requirements_txt).',
    );
  });

  it('should refuse an image or a requirements file that is not text', () => {
    expect(refusal('environment:\n  image: [a]\n').message).toBe('environment.image must be an image reference.');
    expect(refusal('environment:\n  python_requirements_txt: "  "\n').message).toBe(
      'environment.python_requirements_txt must be a file name.',
    );
  });

  it('should refuse a file over 200 KB before parsing it', () => {
    expect(refusal(`# ${'x'.repeat(200_001)}\n`).message).toBe('flow.dag.yaml is larger than 200 KB.');
  });

  it('should refuse an alias bomb in words, without expanding it', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', 'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]'];
    for (const name of 'cdefghij')
      bomb.push(
        `${name}: &${name} [${Array(10)
          .fill(`*${String.fromCharCode(name.charCodeAt(0) - 1)}`)
          .join(', ')}]`,
      );
    expect(refusal(`${bomb.join('\n')}\nenvironment: {}\n`)).toEqual({
      message: 'flow.dag.yaml repeats its aliases (*name) too many times.',
      fields: { flowDag: 'flow.dag.yaml repeats its aliases (*name) too many times.' },
    });
  });
});
