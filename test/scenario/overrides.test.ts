/**
 * Tests for `--set path=value` overrides: path syntax, YAML values, creation of missing levels, every error
 * naming the argument, and validation blaming the argument for values it set.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadDocument } from '../../src/scenario/document.js';
import { applyOverrides, parseOverride, withOverrides } from '../../src/scenario/overrides.js';
import { parseWith } from '../../src/scenario/validate.js';
import { UserError } from '../../src/util/user-error.js';

function messageOf(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    return (error as Error).message;
  }
  throw new Error('expected a UserError');
}

const base = () => ({
  workload: { day: 20110303 },
  hosts: [
    { id: 'h1', ramMiB: 4096 },
    { id: 'h2', ramMiB: 8192 },
  ],
  policy: { overload: { name: 'thr', parameter: 0.8 } },
});

describe('applyOverrides', () => {
  it('parses values as YAML scalars and flow collections', () => {
    const result = applyOverrides(base(), [
      'policy.overload.parameter=0.9',
      'workload.day=20110306',
      'policy.overload.name=mad',
      'workload.enabled=true',
      'workload.label="007"',
      'workload.note=null',
      'workload.empty=',
      'workload.hours=[1, 2, 3]',
      'policy.placement={name: pabfd, weights: {cpu: 1}}',
    ]);
    expect(result).toEqual({
      workload: { day: 20110306, enabled: true, label: '007', note: null, empty: '', hours: [1, 2, 3] },
      hosts: base().hosts,
      policy: {
        overload: { name: 'mad', parameter: 0.9 },
        placement: { name: 'pabfd', weights: { cpu: 1 } },
      },
    });
  });

  it('replaces a whole list', () => {
    expect(applyOverrides(base(), ['hosts=[{id: h9, ramMiB: 1}]'])).toMatchObject({ hosts: [{ id: 'h9', ramMiB: 1 }] });
  });

  it('indexes lists with [i] or .i, and appends at the end', () => {
    const result = applyOverrides(base(), ['hosts[1].ramMiB=1', 'hosts.0.ramMiB=2', 'hosts[2]={id: h3, ramMiB: 3}']) as ReturnType<
      typeof base
    >;
    expect(result.hosts).toEqual([
      { id: 'h1', ramMiB: 2 },
      { id: 'h2', ramMiB: 1 },
      { id: 'h3', ramMiB: 3 },
    ]);
  });

  it('creates missing intermediate mappings (and a list before an explicit index)', () => {
    expect(applyOverrides(base(), ['energy.control.name=dvfs', 'extra.items[0].a=1'])).toMatchObject({
      energy: { control: { name: 'dvfs' } },
      extra: { items: [{ a: 1 }] },
    });
    expect(applyOverrides(null, ['a.b=1'])).toEqual({ a: { b: 1 } });
  });

  it('accepts quoted keys and numeric keys of mappings', () => {
    expect(applyOverrides({ labels: {} }, ['labels["rack 1.a"]=x', 'labels.2024=y'])).toEqual({
      labels: { 'rack 1.a': 'x', '2024': 'y' },
    });
  });

  it('applies in order (later wins) and does not modify its input', () => {
    const input = base();
    const result = applyOverrides(input, ['policy.overload.parameter=0.1', 'policy.overload.parameter=0.2']);
    expect((result as ReturnType<typeof base>).policy.overload.parameter).toBe(0.2);
    expect(input).toEqual(base());
  });

  it('rejects bad arguments, naming them', () => {
    const cases: [string, string][] = [
      ['seed', 'invalid --set seed: expected path=value, for example --set policy.overload.parameter=0.9'],
      ['=3', 'invalid --set =3: the path before "=" is empty'],
      [' =3', 'invalid --set  =3: the path before "=" is empty'],
      [
        'policy.overload.parameter.x=1',
        'invalid --set policy.overload.parameter.x=1: cannot set "x" inside policy.overload.parameter, which is the number 0.8, not a mapping or list',
      ],
      [
        'workload.day[0]=1',
        'invalid --set workload.day[0]=1: cannot set [0] inside workload.day, which is the number 20110303, not a mapping or list',
      ],
      [
        'hosts.first.ramMiB=1',
        'invalid --set hosts.first.ramMiB=1: hosts is a list, so it has no key "first"; use an index such as hosts[0]',
      ],
      ['policy[0]=1', 'invalid --set policy[0]=1: policy is a mapping, not a list; it has no index [0]'],
      ['hosts[5].ramMiB=1', 'invalid --set hosts[5].ramMiB=1: index 5 is out of range: hosts has 2 items (index 2 appends)'],
      ['a..b=1', 'invalid --set a..b=1: bad path "a..b": empty key between dots'],
      ['a.=1', 'invalid --set a.=1: bad path "a.": it ends with "."'],
      ['.a=1', 'invalid --set .a=1: bad path ".a": it starts with "."'],
      ['a[x]=1', 'invalid --set a[x]=1: bad path "a[x]": expected a non-negative integer or a "quoted key" inside [ ], got "x"'],
      ['a[1=1', 'invalid --set a[1=1: bad path "a[1": missing "]"'],
      ['__proto__.polluted=1', 'invalid --set __proto__.polluted=1: bad path "__proto__.polluted": "__proto__" is not a valid key'],
    ];
    for (const [argument, expected] of cases) {
      expect(messageOf(() => applyOverrides(base(), [argument]))).toBe(expected);
    }
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('rejects a value that is not valid YAML', () => {
    expect(messageOf(() => parseOverride('hosts=[1, 2'))).toMatch(/^invalid --set hosts=\[1, 2: the value is not valid YAML: /);
  });

  it('rejects overrides of a document that is not a mapping', () => {
    expect(messageOf(() => applyOverrides(5, ['a=1']))).toBe('invalid --set a=1: the document is the number 5, not a mapping');
  });

  it('reports the argument as the issue source', () => {
    try {
      applyOverrides(base(), ['nope']);
    } catch (error) {
      expect((error as UserError).issues).toEqual([
        { file: '--set nope', message: 'expected path=value, for example --set policy.overload.parameter=0.9' },
      ]);
    }
  });
});

describe('withOverrides', () => {
  const directory = mkdtempSync(join(tmpdir(), 'hyperwatt-overrides-'));
  afterAll(() => rmSync(directory, { recursive: true, force: true }));
  const file = join(directory, 'scenario.yaml');
  writeFileSync(file, 'seed: x\npolicy:\n  overload: {name: thr, parameter: 0.8}\n');
  const Schema = z.strictObject({
    seed: z.number(),
    policy: z.strictObject({
      overload: z.strictObject({ name: z.enum(['thr', 'mad']), parameter: z.number().max(1) }),
    }),
  });

  it('blames the --set argument for values it set and the file for the rest', () => {
    const located = withOverrides(loadDocument(file), ['policy.overload.parameter=1.5', 'policy.extra.deep=1']);
    expect(messageOf(() => parseWith(Schema, located, file)).split('\n')).toEqual([
      `${file}:1:7: seed: expected a number, got the string "x"`,
      '--set policy.overload.parameter=1.5: policy.overload.parameter: expected a number <= 1, got 1.5',
      '--set policy.extra.deep=1: policy: unknown key "extra"; valid keys: overload',
    ]);
  });

  it('validates overridden data successfully', () => {
    const located = withOverrides(loadDocument(file), ['seed=7', 'policy.overload={name: mad, parameter: 0.5}']);
    expect(parseWith(Schema, located, file)).toEqual({ seed: 7, policy: { overload: { name: 'mad', parameter: 0.5 } } });
  });
});
