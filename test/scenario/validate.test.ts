/**
 * Tests for schema validation with located issues: every zod issue code that scenario schemas produce is
 * turned into a message that says what was expected and what was found, at the right file:line:column.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadDocument } from '../../src/scenario/document.js';
import { parseWith } from '../../src/scenario/validate.js';
import { UserError } from '../../src/util/user-error.js';

const directory = mkdtempSync(join(tmpdir(), 'hyperwatt-validate-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

function fixture(name: string, text: string): string {
  const file = join(directory, name);
  writeFileSync(file, text);
  return file;
}

/** An example scenario schema with the shapes real scenario schemas use. */
const OverloadDetection = z
  .discriminatedUnion('name', [
    z.strictObject({ name: z.literal('thr'), parameter: z.number().min(0).max(1) }),
    z.strictObject({ name: z.literal('iqr'), parameter: z.number().positive() }),
    z.strictObject({ name: z.literal('mad'), parameter: z.number().positive() }),
    z.strictObject({ name: z.literal('lr'), parameter: z.number().positive() }),
    z.strictObject({ name: z.literal('lrr'), parameter: z.number().positive() }),
  ])
  .describe('overload detection');

const Host = z.strictObject({
  id: z.string().regex(/^[a-z][a-z0-9-]*$/),
  ramMiB: z.number().positive(),
  cores: z.number().int().min(1).max(512),
  diskGiB: z.number().multipleOf(10).optional(),
});

const Scenario = z.strictObject({
  seed: z.number().int().nonnegative().default(1),
  name: z.string().min(3),
  hosts: z.array(Host).min(1),
  policy: z.strictObject({
    overload: OverloadDetection,
    placement: z.enum(['first-fit', 'best-fit', 'pabfd']).default('pabfd'),
    // A plain union: a preset name or an explicit object.
    power: z.union([z.literal('auto'), z.strictObject({ idleWatts: z.number().nonnegative(), maxWatts: z.number() })]),
  }),
  labels: z.record(z.enum(['team', 'owner']), z.string()).optional(),
  limit: z.union([z.number(), z.string()]).optional(),
  window: z
    .strictObject({ startSeconds: z.number(), endSeconds: z.number() })
    .refine((window) => window.endSeconds > window.startSeconds, 'endSeconds must be after startSeconds')
    .optional(),
  tag: z.string({ error: 'tag must be text, e.g. tag: baseline' }).optional(),
});

function issuesOf(action: () => unknown): UserError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    return error as UserError;
  }
  throw new Error('expected a UserError');
}

function validate(name: string, text: string): { file: string; run: () => z.infer<typeof Scenario> } {
  const file = fixture(name, text);
  return { file, run: () => parseWith(Scenario, loadDocument(file), file) };
}

const GOOD = `
name: small
hosts:
  - id: h1
    ramMiB: 4096
    cores: 8
policy:
  overload: {name: thr, parameter: 0.8}
  power: auto
`;

describe('parseWith', () => {
  it('returns the parsed value, with defaults', () => {
    const { run } = validate('good.yaml', GOOD);
    expect(run()).toEqual({
      seed: 1,
      name: 'small',
      hosts: [{ id: 'h1', ramMiB: 4096, cores: 8 }],
      policy: { overload: { name: 'thr', parameter: 0.8 }, placement: 'pabfd', power: 'auto' },
    });
  });

  it('reports every problem at once, sorted by line, each with file:line:column and path', () => {
    const { file, run } = validate(
      'many.yaml',
      [
        'seed: 1.5', //                                 1
        'name: ab', //                                  2
        'hosts:', //                                    3
        '  - id: h1', //                                4
        '    ramMiB: 4096', //                          5
        '    cores: 8', //                              6
        '  - id: H2', //                                7
        '    ramMiB: -4', //                            8
        '    cores: "8"', //                            9
        '    ramMB: 3', //                              10
        '    diskGiB: 15', //                           11
        '  - cores: 1024', //                           12
        'policy:', //                                   13
        '  overload:', //                               14
        '    name: foo', //                             15
        '  placement: bestfit', //                      16
        '  power: {idleWatts: -1, maxWatts: 200}', //   17
        'extra: true', //                               18
        '',
      ].join('\n'),
    );
    const error = issuesOf(run);
    expect(error.message.split('\n')).toEqual([
      `${file}:1:7: seed: expected an integer, got 1.5`,
      `${file}:2:7: name: expected at least 3 characters, got 2`,
      `${file}:7:9: hosts[1].id: expected a string matching /^[a-z][a-z0-9-]*$/, got "H2"`,
      `${file}:8:13: hosts[1].ramMiB: expected a positive number, got -4`,
      `${file}:9:12: hosts[1].cores: expected a number, got the string "8"`,
      `${file}:10:5: hosts[1]: unknown key "ramMB" (did you mean "ramMiB"?); valid keys: id, ramMiB, cores, diskGiB`,
      `${file}:11:14: hosts[1].diskGiB: expected a multiple of 10, got 15`,
      `${file}:12:5: hosts[2].id: missing required field; expected a string`,
      `${file}:12:5: hosts[2].ramMiB: missing required field; expected a number`,
      `${file}:12:12: hosts[2].cores: expected a number <= 512, got 1024`,
      `${file}:15:11: policy.overload.name: unknown overload detection "foo"; valid: thr, iqr, mad, lr, lrr`,
      `${file}:16:14: policy.placement: unknown value "bestfit" (did you mean "best-fit"?); valid: first-fit, best-fit, pabfd`,
      `${file}:17:22: policy.power.idleWatts: expected a non-negative number, got -1`,
      `${file}:18:1: unknown key "extra"; valid keys: seed, name, hosts, policy, labels, limit, window, tag`,
    ]);
    expect(error.issues).toHaveLength(14);
    expect(error.issues[3]).toEqual({
      file,
      line: 8,
      column: 13,
      path: 'hosts[1].ramMiB',
      message: 'expected a positive number, got -4',
    });
  });

  it('reports the same problems in a JSON file at JSON positions', () => {
    const { file, run } = validate(
      'many.json',
      [
        '{', //                                                       1
        '  "name": "small",', //                                      2
        '  "hosts": [{"id": "h1", "ramMiB": 0, "cores": 2.5}],', //   3
        '  "policy": {', //                                           4
        '    "overload": {"name": "thr", "parameter": 1.5},', //      5
        '    "power": "automatic"', //                                6
        '  },', //                                                    7
        '  "Seed": 3', //                                             8
        '}', //                                                       9
      ].join('\n'),
    );
    expect(issuesOf(run).message.split('\n')).toEqual([
      `${file}:3:36: hosts[0].ramMiB: expected a positive number, got 0`,
      `${file}:3:48: hosts[0].cores: expected an integer, got 2.5`,
      `${file}:5:46: policy.overload.parameter: expected a number <= 1, got 1.5`,
      `${file}:6:14: policy.power: expected "auto" or a mapping, got the string "automatic"`,
      `${file}:8:3: unknown key "Seed" (did you mean "seed"?); valid keys: seed, name, hosts, policy, labels, limit, window, tag`,
    ]);
  });

  it('reports a missing or non-object discriminated union', () => {
    const { file, run } = validate(
      'union.yaml',
      [
        'name: small', //                           1
        'hosts: []', //                             2
        'policy:', //                               3
        '  overload:', //                           4
        '    parameter: 3', //                      5
        '  power: {idleWatts: 1, maxWatts: 2, peakWatts: 3}', // 6
        '',
      ].join('\n'),
    );
    expect(issuesOf(run).message.split('\n')).toEqual([
      `${file}:2:8: hosts: expected at least 1 item, got 0`,
      `${file}:5:5: policy.overload.name: missing overload detection "name"; valid: thr, iqr, mad, lr, lrr`,
      `${file}:6:38: policy.power: unknown key "peakWatts"; valid keys: idleWatts, maxWatts`,
    ]);

    const scalar = validate('union-scalar.yaml', 'name: small\nhosts: []\npolicy:\n  overload: thr\n  power: auto\n');
    expect(issuesOf(scalar.run).message.split('\n')).toContain(
      `${scalar.file}:4:13: policy.overload: expected a mapping, got the string "thr"`,
    );
  });

  it('suggests the closest name for a misspelt discriminator', () => {
    const { file, run } = validate(
      'typo.yaml',
      'name: small\nhosts: [{id: a, ramMiB: 1, cores: 1}]\npolicy:\n  overload: {name: lrrr, parameter: 1}\n  power: auto\n',
    );
    expect(issuesOf(run).message).toBe(
      `${file}:4:20: policy.overload.name: unknown overload detection "lrrr" (did you mean "lrr"?); valid: thr, iqr, mad, lr, lrr`,
    );
  });

  it('reports wrong types for whole sections and the document', () => {
    const { file, run } = validate('types.yaml', 'name: small\nhosts: {id: a}\npolicy: [1, 2]\nlimit: true\n');
    expect(issuesOf(run).message.split('\n')).toEqual([
      `${file}:2:8: hosts: expected a list, got a mapping`,
      `${file}:3:9: policy: expected a mapping, got a list of 2 items`,
      `${file}:4:8: limit: expected a number or a string, got true`,
    ]);
    const list = validate('list.yaml', '- a\n- b\n');
    expect(issuesOf(list.run).message).toBe(`${list.file}:1:1: expected a mapping, got a list of 2 items`);
  });

  it('keeps messages written in the schema: refinements and custom errors', () => {
    const { file, run } = validate(
      'custom.yaml',
      `${GOOD}window: {startSeconds: 10, endSeconds: 5}\ntag: 42\n`,
    );
    expect(issuesOf(run).message.split('\n')).toEqual([
      `${file}:10:9: window: endSeconds must be after startSeconds`,
      `${file}:11:6: tag: tag must be text, e.g. tag: baseline`,
    ]);
  });

  it('reports unknown keys of a record over an enum, and null values', () => {
    const { file, run } = validate('record.yaml', `${GOOD}labels:\n  team: core\n  owner: null\n  budget: x\n`);
    expect(issuesOf(run).message.split('\n')).toEqual([
      `${file}:12:10: labels.owner: expected a string, got null`,
      `${file}:13:3: labels: unknown key "budget"; valid keys: team, owner`,
    ]);
  });

  it('reports one issue per unknown key, each at its own line', () => {
    const { file, run } = validate('keys.yaml', `${GOOD}colour: red\nsize: 3\n`);
    expect(issuesOf(run).message.split('\n')).toEqual([
      `${file}:10:1: unknown key "colour"; valid keys: seed, name, hosts, policy, labels, limit, window, tag`,
      `${file}:11:1: unknown key "size"; valid keys: seed, name, hosts, policy, labels, limit, window, tag`,
    ]);
  });

  it('works on data without a file (no positions)', () => {
    const error = issuesOf(() => parseWith(z.strictObject({ a: z.number() }), { data: { a: 'x', b: 1 }, locate: () => undefined }, 'inline'));
    expect(error.message.split('\n')).toEqual([
      'inline: a: expected a number, got the string "x"',
      'inline: unknown key "b"; valid keys: a',
    ]);
  });

  it('reports record keys that fail their key schema at the key', () => {
    const Schema = z.strictObject({ labels: z.record(z.string().regex(/^[a-z]+$/), z.string()) });
    const file = fixture('labels.yaml', 'labels:\n  ok: yes\n  Bad Key: x\n');
    expect(issuesOf(() => parseWith(Schema, loadDocument(file), file)).message).toBe(
      `${file}:3:3: labels["Bad Key"]: invalid key "Bad Key": expected a string matching /^[a-z]+$/, got "Bad Key"`,
    );
  });

  it('describes sizes and bounds', () => {
    const Schema = z.strictObject({
      code: z.string().length(3),
      values: z.array(z.number()).max(2),
      share: z.number().gt(0.5).lt(1),
      count: z.number().int().max(0),
    });
    const file = fixture('sizes.yaml', 'code: abcd\nvalues: [1, 2, 3]\nshare: 1\ncount: 4\n');
    expect(issuesOf(() => parseWith(Schema, loadDocument(file), file)).message.split('\n')).toEqual([
      `${file}:1:7: code: expected exactly 3 characters, got 4`,
      `${file}:2:9: values: expected at most 2 items, got 3`,
      `${file}:3:8: share: expected a number < 1, got 1`,
      `${file}:4:8: count: expected a non-positive number, got 4`,
    ]);
  });
});

/**
 * Pins how zod 4 reports the issues the messages above are built from, so a zod upgrade that changes them
 * fails here, with a clear reason, rather than degrading messages silently.
 */
describe('zod 4 issue shapes that parseWith relies on', () => {
  const Example = z.strictObject({
    size: z.number().positive(),
    kind: z.enum(['a', 'b']),
    detector: z.discriminatedUnion('name', [
      z.strictObject({ name: z.literal('thr') }),
      z.strictObject({ name: z.literal('iqr') }),
    ]),
  });
  const result = Example.safeParse({ size: -1, kind: 'c', detector: { name: 'foo' }, extra: 1 }, { reportInput: true });
  const issues = result.success ? [] : result.error.issues;
  const byCode = (code: string) => issues.find((issue) => issue.code === code) as Record<string, unknown> | undefined;

  it('too_small carries origin, minimum, inclusive and the input', () => {
    expect(byCode('too_small')).toMatchObject({ path: ['size'], origin: 'number', minimum: 0, inclusive: false, input: -1 });
  });
  it('invalid_value carries the allowed values', () => {
    expect(byCode('invalid_value')).toMatchObject({ path: ['kind'], values: ['a', 'b'], input: 'c' });
  });
  it('an unknown discriminator is invalid_union with discriminator and options, at the discriminator', () => {
    expect(byCode('invalid_union')).toMatchObject({
      path: ['detector', 'name'],
      discriminator: 'name',
      options: ['thr', 'iqr'],
      errors: [],
    });
  });
  it('unrecognized_keys lists the keys, at the object', () => {
    expect(byCode('unrecognized_keys')).toMatchObject({ path: [], keys: ['extra'] });
  });
  it('properties an error map adds to a raw issue are copied to the final issue (used for validKeys)', () => {
    const annotated = z.strictObject({ a: z.number() }).safeParse(
      { b: 1 },
      {
        error: (issue) => {
          (issue as Record<string, unknown>)['note'] = 'kept';
          return undefined;
        },
      },
    );
    expect(annotated.success ? [] : annotated.error.issues.map((issue) => (issue as { note?: string }).note)).toEqual([
      'kept',
      'kept',
    ]);
  });
});
