/**
 * Validating loaded data against a zod schema and reporting every problem with file, line and field path.
 *
 * {@link parseWith} runs zod's `safeParse` once and turns each zod issue into an {@link Issue}: the path is
 * formatted as users write it (`hosts[3].ramMiB`), located in the source with the document's `locate`, and
 * the message says what was expected and what was found (`expected a positive number, got -4`). The
 * messages are produced by a per-parse zod error map, so a message written in the schema itself
 * (`z.number({ error: '...' })`) still wins. Special cases:
 *
 * - unknown keys (schemas use `z.strictObject`): one issue per key, at the key, with the valid keys and a
 *   "did you mean" when one is close;
 * - discriminated unions with an unknown `name`/`kind`: `unknown overload detection "foo"; valid: thr, iqr`,
 *   where the label is the union's description (`z.discriminatedUnion(...).describe('overload detection')`),
 *   or the discriminator key when there is none;
 * - other unions: when one alternative has the right shape (say, a mapping) and only fails inside, its
 *   issues are reported; otherwise one issue says `expected a number or "auto", got true`;
 * - missing fields are located at their parent mapping.
 */
import { z } from 'zod';
import { formatPath, type Issue, UserError } from '../util/user-error.js';
import type { DataPath, LocatedData } from './document.js';

/**
 * Validates `located.data` with `schema` and returns the parsed value, or throws every problem at once.
 *
 * @param schema the zod schema; use `z.strictObject` so unknown keys are reported.
 * @param located the loaded document (see `loadDocument`), or any data with a `locate` function.
 * @param file the file name to print in messages, as the user wrote it.
 * @throws UserError whose `issues` hold every problem, sorted by position in the file.
 * @example
 * const scenario = parseWith(ScenarioSchema, loadDocument('examples/small.yaml'), 'examples/small.yaml');
 */
export function parseWith<T>(schema: z.ZodType<T>, located: LocatedData, file: string): T {
  const result = schema.safeParse(located.data, { error: describeRawIssue, reportInput: true });
  if (result.success) return result.data;
  throw UserError.fromIssues(issuesFromZod(result.error.issues, located, file));
}

/**
 * Converts zod issues (from a parse that used {@link describeRawIssue} as its error map, as
 * {@link parseWith} does) into located {@link Issue}s, sorted by line and column.
 */
export function issuesFromZod(zodIssues: readonly z.core.$ZodIssue[], located: LocatedData, file: string): Issue[] {
  const pending: PendingIssue[] = [];
  for (const issue of zodIssues) collect(issue, [], pending);
  const issues = pending.map(({ path, target, atKey, message }): Issue => {
    const source = located.sourceOf?.(target);
    if (source !== undefined) return { file: source, path: formatPath(path), message };
    const location = atKey && located.locateKey ? located.locateKey(target) : located.locate(target);
    return { file, ...location, path: formatPath(path), message };
  });
  // Stable sort: issues at the same place keep zod's order (the schema's order).
  return issues
    .map((issue, index) => ({ issue, index }))
    .sort(
      (a, b) =>
        (a.issue.line ?? Infinity) - (b.issue.line ?? Infinity) ||
        (a.issue.column ?? 0) - (b.issue.column ?? 0) ||
        a.index - b.index,
    )
    .map(({ issue }) => issue);
}

interface PendingIssue {
  /** The path printed with the message. */
  path: PropertyKey[];
  /** The path of the node to point at (differs from `path` for unknown keys, which point at the key). */
  target: DataPath;
  atKey: boolean;
  message: string;
}

function collect(issue: z.core.$ZodIssue, prefix: PropertyKey[], out: PendingIssue[]): void {
  const path = [...prefix, ...issue.path];
  switch (issue.code) {
    case 'unrecognized_keys': {
      const validKeys = (issue as { validKeys?: unknown }).validKeys;
      for (const key of issue.keys) {
        const message = Array.isArray(validKeys) ? unknownKeyMessage(key, validKeys as string[]) : issue.message;
        out.push({ path, target: toDataPath([...path, key]), atKey: true, message });
      }
      return;
    }
    case 'invalid_union': {
      // A plain union: if an alternative has the right shape and only fails deeper down, those inner
      // problems are the useful ones ("hosts[0].ramMiB: ...") rather than "matches no alternative".
      if (issue.discriminator === undefined && issue.errors.length > 0) {
        const shaped = issue.errors.filter((branch) =>
          branch.every((inner) => inner.path.length > 0 || inner.code === 'unrecognized_keys'),
        );
        if (shaped.length > 0) {
          const best = shaped.reduce((a, b) => (b.length < a.length ? b : a));
          for (const inner of best) collect(inner, path, out);
          return;
        }
      }
      break;
    }
    case 'invalid_key':
      out.push({ path, target: toDataPath(path), atKey: true, message: issue.message });
      return;
  }
  out.push({ path, target: toDataPath(path), atKey: false, message: issue.message });
}

function toDataPath(path: readonly PropertyKey[]): DataPath {
  return path.map((segment) => (typeof segment === 'number' ? segment : String(segment)));
}

/**
 * The zod error map used by {@link parseWith}: writes a message saying what was expected and what was found
 * for every issue code, and records the valid keys on `unrecognized_keys` issues (as `validKeys`, which zod
 * copies onto the final issue) so each unknown key can be reported on its own.
 *
 * @example schema.safeParse(data, { error: describeRawIssue })
 */
export const describeRawIssue: z.core.$ZodErrorMap = (issue) => {
  const input: unknown = issue.input;
  switch (issue.code) {
    case 'invalid_type':
      if (input === undefined) return `missing required field; expected ${typeName(issue.expected)}`;
      return `expected ${typeName(issue.expected)}, got ${
        typeof input === 'number' && (issue.expected === 'int' || issue.expected === 'number')
          ? formatValue(input)
          : describeReceived(input)
      }`;
    case 'too_small':
    case 'too_big': {
      const sized = sizeMessage(
        issue.code,
        issue.origin,
        issue.code === 'too_small' ? issue.minimum : issue.maximum,
        issue.inclusive,
        issue.exact,
        input,
      );
      if (sized) return sized;
      return `expected ${expectation(issue) ?? 'a different value'}, got ${formatValue(input)}`;
    }
    case 'invalid_value':
      if (issue.values.length > 1 && issue.values.every((value) => typeof value === 'string') && typeof input === 'string') {
        return `unknown value ${formatValue(input)}${suggestion(input, issue.values as string[])}; valid: ${issue.values.join(', ')}`;
      }
      return `expected ${expectation(issue)}, got ${formatValue(input)}`;
    case 'invalid_format':
    case 'not_multiple_of':
      return `expected ${expectation(issue)}, got ${formatValue(input)}`;
    case 'unrecognized_keys': {
      const validKeys = validKeysOf(issue.inst);
      if (validKeys) (issue as Record<string, unknown>)['validKeys'] = validKeys;
      return issue.keys.length === 1
        ? unknownKeyMessage(issue.keys[0], validKeys)
        : `unknown keys ${issue.keys.map((key) => JSON.stringify(key)).join(', ')}${
            validKeys ? `; valid keys: ${validKeys.join(', ')}` : ''
          }`;
    }
    case 'invalid_union': {
      if (issue.discriminator !== undefined) {
        const options = ((issue.options ?? []) as unknown[]).map(String);
        const label = labelOf(issue.inst) ?? issue.discriminator;
        const value = isRecord(input) ? input[issue.discriminator] : undefined;
        if (value === undefined) return `missing ${label} "${issue.discriminator}"; valid: ${options.join(', ')}`;
        const hint = typeof value === 'string' ? suggestion(value, options) : '';
        return `unknown ${label} ${formatValue(value)}${hint}; valid: ${options.join(', ')}`;
      }
      if (issue.inclusive === false) return 'matches more than one of the allowed forms; expected exactly one';
      const expected = expectation(issue);
      return expected
        ? `expected ${expected}, got ${describeReceived(input)}`
        : `does not match any allowed form: ${issue.errors.map((branch) => branch.map((inner) => inner.message).join('; ')).join(' | ')}`;
    }
    case 'invalid_key':
      return `invalid key ${formatValue(input)}: ${innerMessages(issue.issues)}`;
    case 'invalid_element':
      return `invalid element: ${innerMessages(issue.issues)}`;
    default:
      return undefined; // custom refinements keep their own message
  }
};

function innerMessages(issues: unknown): string {
  return (issues as z.core.$ZodIssue[]).map((inner) => inner.message).join('; ');
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  bigint: 'an integer',
  symbol: 'a symbol',
  undefined: 'nothing',
  null: 'null',
  never: 'nothing (this field is not allowed here)',
  void: 'nothing',
  date: 'a date',
  array: 'a list',
  tuple: 'a list',
  object: 'a mapping',
  record: 'a mapping',
  map: 'a mapping',
  set: 'a list',
  nan: 'NaN',
  function: 'a function',
  nonoptional: 'a value',
};

function typeName(expected: string): string {
  return TYPE_NAMES[expected] ?? expected;
}

/** A noun phrase for what the issue wanted, e.g. `a positive number`, or undefined when there is none. */
function expectation(issue: z.core.$ZodIssue | z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      return typeName(issue.expected);
    case 'too_small':
    case 'too_big': {
      const bound = issue.code === 'too_small' ? issue.minimum : issue.maximum;
      if (issue.origin === 'number' || issue.origin === 'int' || issue.origin === 'bigint') {
        const noun = issue.origin === 'number' ? 'number' : 'integer';
        if (issue.code === 'too_small' && Number(bound) === 0) {
          return issue.inclusive ? `a non-negative ${noun}` : `a positive ${noun}`;
        }
        if (issue.code === 'too_big' && Number(bound) === 0) {
          return issue.inclusive ? `a non-positive ${noun}` : `a negative ${noun}`;
        }
        const operator = issue.code === 'too_small' ? (issue.inclusive ? '>=' : '>') : issue.inclusive ? '<=' : '<';
        return `a ${noun} ${operator} ${String(bound)}`;
      }
      const unit = issue.origin === 'string' ? 'character' : 'item';
      const container = issue.origin === 'string' ? 'a string' : 'a list';
      return `${container} of ${sizeBound(issue.code, bound, issue.inclusive, issue.exact)} ${plural(unit, bound)}`;
    }
    case 'invalid_value':
      return issue.values.length === 1
        ? formatValue(issue.values[0])
        : `one of ${issue.values.map((value) => formatValue(value)).join(', ')}`;
    case 'invalid_format': {
      const format = issue as { format: string; pattern?: string; prefix?: string; suffix?: string; includes?: string };
      if (format.format === 'regex' && format.pattern) return `a string matching ${format.pattern}`;
      if (format.format === 'starts_with') return `a string starting with ${JSON.stringify(format.prefix)}`;
      if (format.format === 'ends_with') return `a string ending with ${JSON.stringify(format.suffix)}`;
      if (format.format === 'includes') return `a string containing ${JSON.stringify(format.includes)}`;
      return `a valid ${format.format}`;
    }
    case 'not_multiple_of':
      return `a multiple of ${String(issue.divisor)}`;
    case 'invalid_union': {
      if (issue.discriminator !== undefined || issue.errors.length === 0) return undefined;
      // Each alternative failed at the top; name what each one wanted.
      const wanted: string[] = [];
      for (const branch of issue.errors) {
        const top = branch.find((inner) => inner.path.length === 0);
        const phrase = top && expectation(top);
        if (!phrase) return undefined;
        if (!wanted.includes(phrase)) wanted.push(phrase);
      }
      return wanted.join(' or ');
    }
    default:
      return undefined;
  }
}

/** Messages for sizes of strings and lists, e.g. `expected at least 1 item, got 0`. */
function sizeMessage(
  code: 'too_small' | 'too_big',
  origin: string,
  bound: number | bigint,
  inclusive: boolean | undefined,
  exact: boolean | undefined,
  input: unknown,
): string | undefined {
  let size: number | undefined;
  let unit: string;
  if (origin === 'string' && typeof input === 'string') {
    size = input.length;
    unit = 'character';
  } else if ((origin === 'array' || origin === 'set') && Array.isArray(input)) {
    size = input.length;
    unit = 'item';
  } else return undefined;
  return `expected ${sizeBound(code, bound, inclusive, exact)} ${plural(unit, bound)}, got ${size}`;
}

function sizeBound(code: 'too_small' | 'too_big', bound: number | bigint, inclusive?: boolean, exact?: boolean): string {
  if (exact) return `exactly ${String(bound)}`;
  if (code === 'too_small') return inclusive === false ? `more than ${String(bound)}` : `at least ${String(bound)}`;
  return inclusive === false ? `fewer than ${String(bound)}` : `at most ${String(bound)}`;
}

function plural(unit: string, count: number | bigint): string {
  return Number(count) === 1 ? unit : `${unit}s`;
}

function unknownKeyMessage(key: string, validKeys: readonly string[] | undefined): string {
  if (!validKeys) return `unknown key ${JSON.stringify(key)}`;
  if (validKeys.length === 0) return `unknown key ${JSON.stringify(key)}; no keys are allowed here`;
  return `unknown key ${JSON.stringify(key)}${suggestion(key, validKeys)}; valid keys: ${validKeys.join(', ')}`;
}

/** The keys a strict object (or a record over an enum) accepts, in declaration order. */
function validKeysOf(inst: unknown): string[] | undefined {
  const def = (inst as { _zod?: { def?: { type?: string; shape?: object; keyType?: unknown } } } | undefined)?._zod?.def;
  if (def?.type === 'object' && def.shape) return Object.keys(def.shape);
  if (def?.type === 'record') {
    const values = (def.keyType as { _zod?: { values?: Set<unknown> } } | undefined)?._zod?.values;
    if (values) return [...values].map(String);
  }
  return undefined;
}

/** The human label of a schema: its description (`.describe('overload detection')`) or meta title. */
function labelOf(inst: unknown): string | undefined {
  if (!inst || typeof inst !== 'object') return undefined;
  const meta = z.globalRegistry.get(inst as z.core.$ZodType) as { description?: string; title?: string } | undefined;
  return meta?.description ?? meta?.title;
}

/** ` (did you mean "ramMiB"?)` when one candidate is close to `word`, else an empty string. */
function suggestion(word: string, candidates: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance =
      candidate.toLowerCase() === word.toLowerCase() ? 0 : editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  // About one typo per four characters; very short words are too easy to match by accident.
  const allowed = word.length < 3 ? 0 : Math.max(1, Math.floor(word.length / 4));
  return best !== undefined && bestDistance <= allowed ? ` (did you mean ${JSON.stringify(best)}?)` : '';
}

/** Levenshtein distance; the inputs are short keys and names, so the quadratic table is fine. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}

/** A value as it would be written: `-4`, `"foo"`, `true`, `null`, `a list`, `a mapping`. */
function formatValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  return describeReceived(value);
}

/** What was found, for type mismatches: `the string "12"`, `the number 5`, `a list of 3 items`, `null`. */
function describeReceived(value: unknown): string {
  if (typeof value === 'string') return `the string ${formatValue(value)}`;
  if (typeof value === 'number') return `the number ${String(value)}`;
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : `a list of ${value.length} ${plural('item', value.length)}`;
  if (value instanceof Date) return `the date ${value.toISOString()}`;
  if (isRecord(value)) return 'a mapping';
  return formatValue(value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
