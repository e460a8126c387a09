/**
 * Tests for loading YAML and JSON files: line mapping of data paths, and every error path with the exact
 * file:line:column reported.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadDocument } from '../../src/scenario/document.js';
import { UserError } from '../../src/util/user-error.js';

const directory = mkdtempSync(join(tmpdir(), 'hyperwatt-document-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

/** Writes a fixture file and returns its path. */
function fixture(name: string, text: string): string {
  const file = join(directory, name);
  writeFileSync(file, text);
  return file;
}

/** Runs `action`, expects a UserError and returns its message. */
function userErrorOf(action: () => unknown): UserError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    return error as UserError;
  }
  throw new Error('expected a UserError');
}

const YAML_TEXT = [
  'name: small', //                   1
  'hosts:', //                        2
  '  - id: h1', //                    3
  '    ramMiB: 4096', //              4
  '    disks:', //                    5
  '      - sizeGiB: 100', //          6
  '      - sizeGiB: 200', //          7
  '  - id: h2', //                    8
  '    ramMiB: -4', //                9
  '    tags: [a, b, {rack: 7}]', //   10
  'policy:', //                       11
  '  overload:', //                   12
  '    name: thr', //                 13
  '    parameter:', //                14
  'defaults: &base', //               15
  '  cores: 4', //                    16
  'copy: *base', //                   17
  '',
].join('\n');

describe('loadDocument on YAML', () => {
  const file = fixture('scenario.yaml', YAML_TEXT);
  const document = loadDocument(file);

  it('returns plain data', () => {
    expect(document.format).toBe('yaml');
    expect(document.file).toBe(file);
    expect(document.data).toMatchObject({
      name: 'small',
      hosts: [{ id: 'h1', ramMiB: 4096 }, { id: 'h2', ramMiB: -4, tags: ['a', 'b', { rack: 7 }] }],
      copy: { cores: 4 },
    });
  });

  it('locates values in nested maps and lists', () => {
    expect(document.locate([])).toEqual({ line: 1, column: 1 });
    expect(document.locate(['name'])).toEqual({ line: 1, column: 7 });
    expect(document.locate(['hosts'])).toEqual({ line: 3, column: 3 });
    expect(document.locate(['hosts', 0])).toEqual({ line: 3, column: 5 });
    expect(document.locate(['hosts', 0, 'disks', 1, 'sizeGiB'])).toEqual({ line: 7, column: 18 });
    expect(document.locate(['hosts', 1, 'ramMiB'])).toEqual({ line: 9, column: 13 });
    expect(document.locate(['hosts', 1, 'tags', 1])).toEqual({ line: 10, column: 15 });
    expect(document.locate(["hosts", 1, "tags", 2, "rack"])).toEqual({ line: 10, column: 25 });
    expect(document.locate(['policy', 'overload', 'name'])).toEqual({ line: 13, column: 11 });
  });

  it('accepts numeric strings as list indices', () => {
    expect(document.locate(['hosts', '1', 'ramMiB'])).toEqual({ line: 9, column: 13 });
  });

  it('points an empty value at its key', () => {
    expect(document.locate(['policy', 'overload', 'parameter'])).toEqual({ line: 14, column: 5 });
  });

  it('locates a missing key at the parent mapping', () => {
    expect(document.locate(['hosts', 1, 'cores'])).toEqual({ line: 8, column: 5 });
    expect(document.locate(['policy', 'overload', 'missing', 'deeper'])).toEqual({ line: 13, column: 5 });
    expect(document.locate(['hosts', 5, 'ramMiB'])).toEqual({ line: 3, column: 3 });
    expect(document.locate(['nothing'])).toEqual({ line: 1, column: 1 });
  });

  it('locates a path below a scalar at the scalar', () => {
    expect(document.locate(['name', 'first'])).toEqual({ line: 1, column: 7 });
  });

  it('follows aliases to the anchored node', () => {
    expect(document.locate(['copy'])).toEqual({ line: 17, column: 7 });
    expect(document.locate(['copy', 'cores'])).toEqual({ line: 16, column: 10 });
  });

  it('locates keys', () => {
    expect(document.locateKey(['hosts', 1, 'ramMiB'])).toEqual({ line: 9, column: 5 });
    expect(document.locateKey(['policy'])).toEqual({ line: 11, column: 1 });
    expect(document.locateKey(['hosts', 1, 'nope'])).toEqual({ line: 8, column: 5 });
  });
});

describe('loadDocument on JSON', () => {
  const text = [
    '{', //                                        1
    '  "name": "small",', //                       2
    '  "hosts": [', //                             3
    '    {"id": "h1", "ramMiB": 4096},', //        4
    '    {', //                                    5
    '\t"id": "h2",', //                            6 (a tab is one column)
    '\t"disks": [{"sizeGiB": 100}, {"sizeGiB": -1}]', // 7
    '    }', //                                    8
    '  ]', //                                      9
    '}', //                                        10
    '',
  ].join('\n');
  const document = loadDocument(fixture('scenario.json', text));

  it('returns plain data', () => {
    expect(document.format).toBe('json');
    expect(document.data).toEqual({
      name: 'small',
      hosts: [
        { id: 'h1', ramMiB: 4096 },
        { id: 'h2', disks: [{ sizeGiB: 100 }, { sizeGiB: -1 }] },
      ],
    });
  });

  it('locates values and keys', () => {
    expect(document.locate(['name'])).toEqual({ line: 2, column: 11 });
    expect(document.locate(['hosts', 0, 'ramMiB'])).toEqual({ line: 4, column: 28 });
    expect(document.locate(['hosts', 1, 'disks', 1, 'sizeGiB'])).toEqual({ line: 7, column: 42 });
    expect(document.locateKey(['hosts', 1, 'disks'])).toEqual({ line: 6 + 1, column: 2 });
  });

  it('locates a missing key at the parent object', () => {
    expect(document.locate(['hosts', 1, 'ramMiB'])).toEqual({ line: 5, column: 5 });
  });

  it('reports JSON syntax errors with line and column', () => {
    const cases: [string, string][] = [
      ['{\n  "a": 1,\n  "b": 2,\n}\n', 'trailing.json:4:1: trailing comma before \'}\' is not allowed in JSON'],
      ['{\n  "a": 1\n  "b": 2\n}\n', 'missing-comma.json:3:3: expected \',\' or \'}\' after a property value, got \'"\''],
      ['{\n  // a comment\n  "a": 1\n}\n', 'comment.json:2:3: comments are not allowed in JSON'],
      ['{\n  "a": "no end\n}\n', 'unterminated.json:2:8: unterminated string (strings cannot span lines in JSON)'],
      ['[1, 2,\n 3\n', 'unclosed.json:3:1: expected \',\' or \']\' after an array element, got end of file'],
      ['{"a": tru}', 'bad-literal.json:1:7: expected a value, got \'t\''],
      ["{'a': 1}", 'single-quotes.json:1:2: expected a double-quoted property name, got \'\'\''],
      ['{"a": 01}', 'leading-zero.json:1:7: invalid number'],
      ['{"a": 1} {"b": 2}', 'two-values.json:1:10: unexpected \'{\' after the end of the JSON value'],
      ['{"a": "\\x"}', 'bad-escape.json:1:8: invalid escape sequence \'\\x\''],
    ];
    for (const [source, expected] of cases) {
      const name = expected.slice(0, expected.indexOf(':'));
      const file = fixture(name, source);
      expect(userErrorOf(() => loadDocument(file)).message).toBe(join(directory, expected));
    }
  });

  it('rejects duplicate keys, which JSON.parse would accept', () => {
    const file = fixture('duplicate.json', '{\n  "a": 1,\n  "b": {"c": 1, "c": 2},\n  "a": 3\n}\n');
    const error = userErrorOf(() => loadDocument(file));
    expect(error.message).toBe(
      [
        `${file}:3:17: duplicate key "c"; keys in a mapping must be unique`,
        `${file}:4:3: duplicate key "a"; keys in a mapping must be unique`,
      ].join('\n'),
    );
    expect(error.issues).toHaveLength(2);
  });

  it('reads a file that starts with a byte order mark', () => {
    expect(loadDocument(fixture('bom.json', '\ufeff{"a": 1}')).data).toEqual({ a: 1 });
  });
});

describe('loadDocument errors', () => {
  it('reports every YAML syntax error, not only the first', () => {
    const file = fixture('broken.yaml', 'a: 1\nb: [1, 2\nc: 3\nd:\n  - x\n   y: 2\na: 3\n');
    const error = userErrorOf(() => loadDocument(file));
    expect(error.message).toBe(
      [
        `${file}:3:1: Flow sequence in block collection must be sufficiently indented and end with a ]`,
        `${file}:5:5: Implicit keys need to be on a single line`,
        `${file}:7:1: duplicate key "a"; keys in a mapping must be unique`,
      ].join('\n'),
    );
    expect(error.issues).toHaveLength(3);
    expect(error.issues[2]).toEqual({
      file,
      line: 7,
      column: 1,
      message: 'duplicate key "a"; keys in a mapping must be unique',
    });
  });

  it('reports duplicate YAML keys at the duplicate', () => {
    const file = fixture('duplicate.yaml', 'a: 1\nb:\n  c: 1\n  c: 2\na: 3\n');
    expect(userErrorOf(() => loadDocument(file)).message).toBe(
      [
        `${file}:4:3: duplicate key "c"; keys in a mapping must be unique`,
        `${file}:5:1: duplicate key "a"; keys in a mapping must be unique`,
      ].join('\n'),
    );
  });

  it('reports an unclosed quote', () => {
    const file = fixture('quote.yaml', 'a: "open\nb: 1\n');
    expect(userErrorOf(() => loadDocument(file)).message).toMatch(new RegExp(`^${escape(file)}:3:1: Missing closing "quote`));
  });

  it('reports an alias without an anchor', () => {
    const file = fixture('alias.yaml', 'a: 1\nb: *nowhere\n');
    expect(userErrorOf(() => loadDocument(file)).message).toBe(
      `${file}:2:4: unknown alias "*nowhere": no anchor "&nowhere" defined before it`,
    );
  });

  it('reports custom tags', () => {
    const file = fixture('tag.yaml', 'a: 1\nb: !include other.yaml\n');
    expect(userErrorOf(() => loadDocument(file)).message).toBe(
      `${file}:2:4: Unresolved tag: !include (custom tags are not supported)`,
    );
  });

  it('reports several YAML documents in one file', () => {
    const file = fixture('multi.yaml', 'a: 1\n---\nb: 2\n');
    expect(userErrorOf(() => loadDocument(file)).message).toBe(
      `${file}:2:1: the file contains more than one YAML document (---); expected one`,
    );
  });

  it('reports an empty file, or one with only comments', () => {
    for (const [name, text] of [
      ['empty.yaml', ''],
      ['blank.yml', '\n\n  \n'],
      ['comments.yaml', '# nothing here\n'],
      ['empty.json', ''],
    ]) {
      const file = fixture(name, text);
      const message = name.endsWith('.json') ? 'the file contains no JSON value' : 'the file is empty; expected a mapping';
      expect(userErrorOf(() => loadDocument(file)).message).toBe(`${file}:1:1: ${message}`);
    }
  });

  it('keeps an explicit null document for the schema to judge', () => {
    expect(loadDocument(fixture('null.yaml', 'null\n')).data).toBeNull();
  });

  it('reports a missing file', () => {
    const file = join(directory, 'does-not-exist.yaml');
    const error = userErrorOf(() => loadDocument(file));
    expect(error.message).toBe(`${file}: file not found`);
    expect(error.issues).toEqual([{ file, message: 'file not found' }]);
  });

  it('reports a directory', () => {
    const path = join(directory, 'folder.yaml');
    mkdirSync(path);
    expect(userErrorOf(() => loadDocument(path)).message).toBe(`${path}: is a directory; expected a YAML or JSON file`);
  });

  it('reports an unsupported extension', () => {
    const file = fixture('scenario.toml', 'a = 1\n');
    expect(userErrorOf(() => loadDocument(file)).message).toBe(
      `${file}: unsupported file type ".toml"; expected .yaml, .yml or .json`,
    );
  });

  it.skipIf(process.getuid?.() === 0)('reports an unreadable file (skipped as root, who can read anything)', () => {
    const file = fixture('secret.yaml', 'a: 1\n');
    chmodSync(file, 0o000);
    expect(userErrorOf(() => loadDocument(file)).message).toBe(`${file}: permission denied`);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
