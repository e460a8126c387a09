/**
 * Loading a user's YAML or JSON file while keeping where every value came from.
 *
 * The file is parsed with the yaml library into a `Document` (its node tree carries source ranges) and
 * converted to plain data. {@link LoadedDocument.locate} maps a data path, such as a zod issue path
 * `['hosts', 3, 'ramMiB']`, back to the line and column of that node, so validation can say
 * `examples/x.yaml:12:13: hosts[3].ramMiB: ...`. Everything that can go wrong before validation (missing or
 * unreadable file, a directory, an unknown extension, an empty file, malformed YAML or JSON, duplicate keys,
 * unresolved aliases or tags) is a {@link UserError} listing every problem found, each with file:line:column.
 *
 * `.json` files are first checked by a strict JSON syntax checker (so comments and trailing commas are
 * rejected and errors are worded for JSON), then parsed by the yaml library like YAML files, since YAML 1.2
 * is a superset of JSON; that also rejects duplicate keys, which `JSON.parse` silently accepts.
 */
import { readFileSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import {
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  visit,
  type Node as YamlNode,
  type YAMLError,
} from 'yaml';
import { type Issue, UserError } from '../util/user-error.js';
import { checkJsonSyntax } from './json-syntax.js';

/** A 1-based line and column in the source file. */
export interface SourceLocation {
  line: number;
  column: number;
}

/** A path into loaded data: object keys and array indices, as in zod issue paths. */
export type DataPath = readonly (string | number)[];

/**
 * Data plus a way back to the source. This is all that validation needs, so documents built in other ways
 * (for instance with `--set` overrides applied, see `withOverrides`) can implement it too.
 */
export interface LocatedData {
  /** The plain data (objects, arrays, strings, numbers, booleans, null). */
  readonly data: unknown;
  /**
   * Where the value at `path` is written. For a path that does not exist (a missing key or index), the
   * location of the deepest existing ancestor, e.g. the parent mapping; undefined when nothing is known.
   */
  locate(path: DataPath): SourceLocation | undefined;
  /** Where the key of the mapping entry at `path` is written (falls back like {@link locate}). */
  locateKey?(path: DataPath): SourceLocation | undefined;
  /** The source to blame for the value at `path` when it is not the file, e.g. `--set a.b=1`. */
  sourceOf?(path: DataPath): string | undefined;
}

/** A parsed YAML or JSON file with its source positions. */
export interface LoadedDocument extends LocatedData {
  /** The file name as given by the caller, used in messages. */
  readonly file: string;
  /** Whether the file was read as JSON or YAML (decided by its extension). */
  readonly format: 'json' | 'yaml';
  /** The yaml library's document, kept for its node tree and source ranges. */
  readonly document: Document.Parsed;
  /** Where the value at `path` is written; see {@link LocatedData.locate}. */
  locate(path: DataPath): SourceLocation | undefined;
  /** Where the key of the mapping entry at `path` is written; see {@link LocatedData.locateKey}. */
  locateKey(path: DataPath): SourceLocation | undefined;
}

const FORMATS: Record<string, 'json' | 'yaml'> = { '.yaml': 'yaml', '.yml': 'yaml', '.json': 'json' };

/** Upper bound on alias expansion, against "billion laughs" files; real scenarios use a handful. */
const MAX_ALIAS_COUNT = 1000;

/**
 * Reads and parses a `.yaml`, `.yml` or `.json` file.
 *
 * @param file path to the file; it is also the name used in every message, so pass it as the user wrote it.
 * @throws UserError listing every problem, each as `file:line:column: message`.
 * @example
 * const doc = loadDocument('examples/small.yaml');
 * doc.locate(['hosts', 3, 'ramMiB']); // { line: 12, column: 13 }
 */
export function loadDocument(file: string): LoadedDocument {
  return parseText(readText(file), file, formatOf(file));
}

/**
 * Parses text that was read from `file` (exported so tests and tools can parse strings; `loadDocument`
 * is the usual entry point).
 *
 * @throws UserError as {@link loadDocument} does.
 */
export function parseText(text: string, file: string, format: 'json' | 'yaml'): LoadedDocument {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // a byte order mark is not content
  const lineCounter = new LineCounter();
  const at = (offset: number): SourceLocation => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };

  if (format === 'json') {
    // The line counter is only filled by parsing, so compute the position by hand here.
    const syntaxError = checkJsonSyntax(text);
    if (syntaxError) {
      const before = text.slice(0, syntaxError.offset);
      const line = before.split(/\r\n|\r|\n/).length;
      const column = syntaxError.offset - Math.max(before.lastIndexOf('\n'), before.lastIndexOf('\r'));
      throw UserError.fromIssues([{ file, line, column, message: syntaxError.message }]);
    }
  }

  const document = parseDocument(text, {
    lineCounter,
    prettyErrors: false, // positions are added by us, as file:line:column
    uniqueKeys: true,
    strict: true,
  });

  const issues: Issue[] = [];
  const report = (offset: number, message: string): void => {
    issues.push({ file, ...at(offset), message });
  };
  for (const problem of [...document.errors, ...document.warnings]) {
    report(problem.pos[0], describeYamlProblem(problem, text));
  }
  // Aliases to an anchor that does not exist (or comes later) are not parse errors in the yaml library;
  // converting to JS would throw without a position, so find them here.
  visit(document, {
    Alias(_key, alias) {
      if (!alias.resolve(document)) {
        report(alias.range?.[0] ?? 0, `unknown alias "*${alias.source}": no anchor "&${alias.source}" defined before it`);
      }
    },
  });
  if (issues.length === 0 && document.contents === null) {
    issues.push({ file, line: 1, column: 1, message: 'the file is empty; expected a mapping' });
  }
  if (issues.length > 0) {
    issues.sort((a, b) => a.line! - b.line! || a.column! - b.column!);
    throw UserError.fromIssues(issues);
  }

  let data: unknown;
  try {
    data = document.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new UserError(`${file}: ${message}`, [{ file, message }], { cause: error });
  }

  const find = (path: DataPath, wantKey: boolean): SourceLocation | undefined => {
    let node: unknown = document.contents;
    let best: number | undefined = rangeStart(node);
    for (let index = 0; index < path.length; index++) {
      node = resolveAlias(node, document);
      const segment = path[index];
      let next: unknown;
      let keyNode: unknown;
      if (isMap(node)) {
        const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(segment));
        if (pair) {
          keyNode = pair.key;
          next = pair.value;
        }
      } else if (isSeq(node) && /^\d+$/.test(String(segment))) {
        next = node.items[Number(segment)];
      }
      if (next === undefined && keyNode === undefined) break;
      const last = index === path.length - 1;
      if (last && wantKey && keyNode !== undefined) return at(rangeStart(keyNode) ?? best ?? 0);
      // An empty value (`key:`) is a null scalar with a zero-width range right after the colon; prefer
      // the key's position then, which is where a reader looks.
      const nextStart = rangeStart(next);
      const keyStart = rangeStart(keyNode);
      if (nextStart === undefined || (isScalar(next) && next.source === '' && keyStart !== undefined)) {
        best = keyStart ?? best;
        if (nextStart === undefined) break;
      } else best = nextStart;
      node = next;
    }
    return best === undefined ? undefined : at(best);
  };

  return {
    file,
    format,
    document,
    data,
    locate: (path) => find(path, false),
    locateKey: (path) => find(path, true),
  };
}

function formatOf(file: string): 'json' | 'yaml' {
  const format = FORMATS[extname(file).toLowerCase()];
  if (!format) {
    const reason = `unsupported file type "${extname(file)}"; expected .yaml, .yml or .json`;
    throw new UserError(`${file}: ${reason}`, [{ file, message: reason }]);
  }
  return format;
}

function readText(file: string): string {
  try {
    if (statSync(file).isDirectory()) {
      const reason = 'is a directory; expected a YAML or JSON file';
      throw new UserError(`${file}: ${reason}`, [{ file, message: reason }]);
    }
    formatOf(file);
    return readFileSync(file, 'utf8');
  } catch (error) {
    if (error instanceof UserError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT'
        ? 'file not found'
        : code === 'EACCES' || code === 'EPERM'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'is a directory; expected a YAML or JSON file'
            : `cannot read file (${error instanceof Error ? error.message : String(error)})`;
    throw new UserError(`${file}: ${reason}`, [{ file, message: reason }], { cause: error });
  }
}

function describeYamlProblem(problem: YAMLError, text: string): string {
  if (problem.code === 'DUPLICATE_KEY') {
    // The error range may cover only the first character of the key, so read the whole key from the text.
    const match = /^(?:"(?:[^"\\\n]|\\.)*"|'(?:[^'\n]|'')*'|[^:\n#,{}[\]]+)/.exec(text.slice(problem.pos[0]));
    let key = (match?.[0] ?? '').trim();
    if (key.length > 60) key = key.slice(0, 57) + '...';
    if (!/^["']/.test(key)) key = JSON.stringify(key);
    return key ? `duplicate key ${key}; keys in a mapping must be unique` : 'duplicate key';
  }
  if (problem.code === 'MULTIPLE_DOCS') return 'the file contains more than one YAML document (---); expected one';
  if (problem.code === 'TAG_RESOLVE_FAILED') return `${problem.message} (custom tags are not supported)`;
  return problem.message;
}

function rangeStart(node: unknown): number | undefined {
  return (node as YamlNode | undefined)?.range?.[0];
}

function resolveAlias(node: unknown, document: Document.Parsed): unknown {
  // An alias stands for its anchor's node; the position of the alias itself is kept by the caller.
  return isAlias(node) ? (node.resolve(document) ?? node) : node;
}
