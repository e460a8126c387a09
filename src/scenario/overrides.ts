/**
 * Command-line overrides of loaded data: `--set path=value`.
 *
 * The path is dotted, with array indices written `[i]` or `.i`: `policy.overload.parameter`, `hosts[2].ramMiB`,
 * `hosts.2.ramMiB`; a key that is not a plain word can be quoted, `labels["rack 1"]`. The value is parsed as a
 * YAML scalar or flow collection, so `0.9` is a number, `true` a boolean, `thr` a string, `'"007"'` the
 * string `007`, `[1, 2]` a list and `{name: thr}` a mapping; an empty value is the empty string (write
 * `null` for null). Missing intermediate mappings are created. Overrides apply in order, so a later `--set`
 * wins, and they are applied to a copy: the input is not modified.
 *
 * {@link withOverrides} wraps a loaded document so that validation blames the `--set` argument, rather than
 * a line of the file, for a bad value that came from the command line.
 */
import { parseDocument } from 'yaml';
import { formatPath, UserError } from '../util/user-error.js';
import type { DataPath, LocatedData, SourceLocation } from './document.js';

/** One path segment: a mapping key, an explicit index (`[2]`), or a dotted number (`.2`, index or key). */
type Segment = { kind: 'key'; key: string; numeric: boolean } | { kind: 'index'; index: number };

/** A parsed `--set` argument. */
export interface Override {
  /** The argument as given, e.g. `policy.overload.parameter=0.9`. */
  readonly argument: string;
  /** The path as written, e.g. `policy.overload.parameter`. */
  readonly pathText: string;
  /** The value, parsed as YAML. */
  readonly value: unknown;
}

/**
 * Parses one `path=value` argument without applying it (useful to reject bad arguments early).
 *
 * @throws UserError naming the argument when there is no `=`, the path is empty or malformed, or the value
 *   is not valid YAML.
 * @example parseOverride('policy.overload.parameter=0.9') // { argument, pathText: 'policy.overload.parameter', value: 0.9 }
 */
export function parseOverride(argument: string): Override {
  const equals = argument.indexOf('=');
  if (equals < 0) {
    throw badArgument(argument, 'expected path=value, for example --set policy.overload.parameter=0.9');
  }
  const pathText = argument.slice(0, equals).trim();
  if (pathText === '') throw badArgument(argument, 'the path before "=" is empty');
  parsePath(argument, pathText); // validate now, so errors surface before anything is applied
  return { argument, pathText, value: parseValue(argument, argument.slice(equals + 1)) };
}

/**
 * Returns a copy of `data` with every `--set path=value` applied in order.
 *
 * @param data the loaded data (usually a mapping); it is not modified.
 * @param sets the `--set` arguments, each `path=value`.
 * @throws UserError naming the argument for a malformed argument, a path through a scalar, a key used on a
 *   list or an index used on a mapping, or an index past the end of a list (one past the end appends).
 * @example applyOverrides({ workload: { day: 1 } }, ['workload.day=20110306']) // { workload: { day: 20110306 } }
 */
export function applyOverrides(data: unknown, sets: readonly string[]): unknown {
  return applyWithProvenance(data, sets).data;
}

/**
 * Applies `sets` to a loaded document and returns data that validation can locate: values that came from the
 * file keep their line and column, values set (or created) by a `--set` are reported against that argument.
 *
 * @example parseWith(Schema, withOverrides(loadDocument(file), options.set), file)
 */
export function withOverrides(located: LocatedData, sets: readonly string[]): LocatedData {
  const { data, touched } = applyWithProvenance(located.data, sets);
  if (touched.length === 0) return located;
  const sourceOf = (path: DataPath): string | undefined => {
    // Later arguments win, so search from the end.
    for (let index = touched.length - 1; index >= 0; index--) {
      const { prefix, argument } = touched[index];
      if (prefix.length <= path.length && prefix.every((segment, at) => String(segment) === String(path[at]))) {
        return `--set ${argument}`;
      }
    }
    return located.sourceOf?.(path);
  };
  const locateKey = located.locateKey;
  return {
    data,
    sourceOf,
    locate: (path): SourceLocation | undefined => located.locate(path),
    ...(locateKey ? { locateKey: (path: DataPath) => locateKey.call(located, path) } : {}),
  };
}

interface Touched {
  prefix: DataPath;
  argument: string;
}

function applyWithProvenance(data: unknown, sets: readonly string[]): { data: unknown; touched: Touched[] } {
  const overrides = sets.map(parseOverride);
  if (overrides.length === 0) return { data, touched: [] };
  let root: unknown = data === null || data === undefined ? {} : structuredClone(data);
  if (!isContainer(root)) {
    throw badArgument(overrides[0].argument, `the document is ${describe(root)}, not a mapping`);
  }
  const touched: Touched[] = [];
  for (const override of overrides) {
    const segments = parsePath(override.argument, override.pathText);
    let container: Container = root;
    const resolved: (string | number)[] = [];
    for (let index = 0; index < segments.length; index++) {
      const segment = segments[index];
      const key = resolveSegment(override.argument, container, segment, resolved);
      const last = index === segments.length - 1;
      if (last) {
        setChild(container, key, structuredClone(override.value));
        resolved.push(key);
        break;
      }
      let child = getChild(container, key);
      resolved.push(key);
      if (child === undefined || child === null) {
        // Create the missing level: a list when the next segment is an explicit index, else a mapping.
        child = segments[index + 1].kind === 'index' ? [] : {};
        setChild(container, key, child);
        touched.push({ prefix: [...resolved], argument: override.argument });
      } else if (!isContainer(child)) {
        const next = segments[index + 1];
        const nextText = next.kind === 'index' ? `[${next.index}]` : JSON.stringify(next.key);
        throw badArgument(
          override.argument,
          `cannot set ${nextText} inside ${formatPath(resolved)}, which is ${describe(child)}, not a mapping or list`,
        );
      }
      container = child as Container;
    }
    touched.push({ prefix: resolved, argument: override.argument });
  }
  return { data: root, touched };
}

type Container = Record<string, unknown> | unknown[];

function isContainer(value: unknown): value is Container {
  return typeof value === 'object' && value !== null;
}

function resolveSegment(argument: string, container: Container, segment: Segment, at: (string | number)[]): string | number {
  const where = at.length === 0 ? 'the document' : formatPath(at);
  if (Array.isArray(container)) {
    const index = segment.kind === 'index' ? segment.index : segment.numeric ? Number(segment.key) : undefined;
    if (index === undefined) {
      throw badArgument(argument, `${where} is a list, so it has no key ${JSON.stringify((segment as { key: string }).key)}; use an index such as ${formatPath([...at, 0])}`);
    }
    if (index > container.length) {
      throw badArgument(
        argument,
        `index ${index} is out of range: ${where} has ${container.length} item${container.length === 1 ? '' : 's'} (index ${container.length} appends)`,
      );
    }
    return index;
  }
  if (segment.kind === 'index') {
    throw badArgument(argument, `${where} is a mapping, not a list; it has no index [${segment.index}]`);
  }
  return segment.key;
}

function getChild(container: Container, key: string | number): unknown {
  if (Array.isArray(container)) return container[key as number];
  return Object.hasOwn(container, key) ? container[key as string] : undefined;
}

function setChild(container: Container, key: string | number, value: unknown): void {
  if (Array.isArray(container)) container[key as number] = value;
  // defineProperty, not assignment, so no key can reach a prototype.
  else Object.defineProperty(container, key, { value, enumerable: true, writable: true, configurable: true });
}

const WORD = /[^.[\]"]+/y;

function parsePath(argument: string, text: string): Segment[] {
  const segments: Segment[] = [];
  let position = 0;
  const fail = (reason: string): UserError => badArgument(argument, `bad path ${JSON.stringify(text)}: ${reason}`);
  while (position < text.length) {
    const character = text[position];
    if (character === '[') {
      const close = text.indexOf(']', position);
      if (close < 0) throw fail('missing "]"');
      const inside = text.slice(position + 1, close).trim();
      if (/^\d+$/.test(inside)) segments.push({ kind: 'index', index: Number(inside) });
      else if (/^"(?:[^"\\]|\\.)*"$/.test(inside)) segments.push({ kind: 'key', key: JSON.parse(inside) as string, numeric: false });
      else throw fail(`expected a non-negative integer or a "quoted key" inside [ ], got "${inside}"`);
      position = close + 1;
    } else {
      if (character === '.') {
        if (segments.length === 0) throw fail('it starts with "."');
        position++;
      } else if (segments.length > 0) throw fail(`expected "." or "[" at ${JSON.stringify(text.slice(position))}`);
      WORD.lastIndex = position;
      const match = WORD.exec(text);
      if (!match) throw fail(position >= text.length ? 'it ends with "."' : 'empty key between dots');
      const key = match[0];
      segments.push({ kind: 'key', key, numeric: /^\d+$/.test(key) });
      position += key.length;
    }
  }
  for (const segment of segments) {
    if (segment.kind === 'key' && segment.key === '__proto__') throw fail('"__proto__" is not a valid key');
  }
  return segments;
}

function parseValue(argument: string, text: string): unknown {
  if (text.trim() === '') return '';
  const document = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  const problems = [...document.errors, ...document.warnings];
  if (problems.length > 0) {
    throw badArgument(argument, `the value is not valid YAML: ${problems.map((problem) => problem.message).join('; ')}`);
  }
  try {
    return document.toJS({ maxAliasCount: 100 });
  } catch (error) {
    throw badArgument(argument, `the value is not valid YAML: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  if (typeof value === 'number' || typeof value === 'boolean') return `the ${typeof value} ${String(value)}`;
  if (value === null) return 'null';
  return typeof value;
}

function badArgument(argument: string, reason: string): UserError {
  const source = `--set ${argument}`;
  return new UserError(`invalid ${source}: ${reason}`, [{ file: source, message: reason }]);
}
