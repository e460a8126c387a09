/**
 * The host scenario format reports every problem at once: cross-field checks (cores and vCPUs that exist, names,
 * slice multiples) run even when other fields are invalid.
 */
import { describe, expect, it } from 'vitest';
import { parseText } from '../../src/scenario/document.js';
import { HostScenarioSchema } from '../../src/scenario/host-schema.js';
import { parseWith } from '../../src/scenario/validate.js';
import { isUserError, type UserError } from '../../src/util/user-error.js';

function problems(text: string): { path?: string; line?: number; message: string }[] {
  try {
    parseWith(HostScenarioSchema, parseText(text, 'x.yaml', 'yaml'), 'x.yaml');
  } catch (error) {
    if (!isUserError(error)) throw error;
    return (error as UserError).issues.map((i) => ({ path: i.path, line: i.line, message: i.message }));
  }
  return [];
}

describe('host scenario validation', () => {
  it('reports a bad profile and a core that does not exist in one go', () => {
    const found = problems(['kind: host', 'name: bad', 'durationSeconds: 1', 'host: { cores: 2 }', 'vms:', '  - name: a', '    cores: [5]', '    threads:', '      - { name: t, profile: nonsense }'].join('\n'));
    expect(found.map((p) => p.path)).toEqual(expect.arrayContaining(['vms[0].cores[0]', 'vms[0].threads[0].profile']));
    expect(found.find((p) => p.path === 'vms[0].cores[0]')).toMatchObject({ line: 7, message: 'core 5 does not exist (the host has 2)' });
  });

  it('checks the slice multiples and duplicate names next to a type error elsewhere', () => {
    const found = problems(
      [
        'kind: host',
        'name: bad',
        'durationSeconds: -1',
        'host: { cores: 2, sliceMs: 2, allocationPeriodMs: 3 }',
        'vms:',
        '  - { name: a, threads: [{ name: t, profile: compute }] }',
        '  - { name: a, vcpus: 2, threads: [{ name: t, profile: compute }] }',
      ].join('\n'),
    );
    const paths = found.map((p) => p.path);
    expect(paths).toEqual(expect.arrayContaining(['durationSeconds', 'host.allocationPeriodMs', 'vms[1].name', 'vms[1].threads']));
    expect(found.find((p) => p.path === 'vms[1].threads')?.message).toBe('vCPU 1 runs no thread');
  });

  it('accepts a valid scenario', () => {
    expect(problems(['kind: host', 'name: ok', 'durationSeconds: 1', 'host: { cores: 2 }', 'vms:', '  - { name: a, threads: [{ name: t, profile: compute }] }'].join('\n'))).toEqual([]);
  });
});
