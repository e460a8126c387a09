/**
 * Errors caused by bad input (a scenario file, a `--set` argument, an output path), as opposed to bugs.
 *
 * A {@link UserError} carries a message already written for a human, and optionally the structured
 * {@link Issue}s it was built from. The CLI catches it, prints the message to stderr without a stack trace
 * and exits with code 2; any other error is a bug and keeps its stack. Issues are printed one per line in
 * the `file:line:column: path: message` shape that editors and terminals turn into links:
 *
 * ```text
 * examples/x.yaml:12:13: hosts[3].ramMiB: expected a positive number, got -4
 * ```
 */

/** One problem found in user input; every field but `message` is optional. */
export interface Issue {
  /** The file (or other source, such as `--set a.b=1`) the problem is in, as the user named it. */
  file?: string;
  /** 1-based line of the offending node. */
  line?: number;
  /** 1-based column (in UTF-16 code units, tabs count as one) of the offending node. */
  column?: number;
  /** Field path formatted by {@link formatPath}, e.g. `hosts[3].ramMiB`; empty or absent for the root. */
  path?: string;
  /** What is wrong, what was expected and what was found, e.g. `expected a positive number, got -4`. */
  message: string;
}

/**
 * Bad input from the user: the message is final and is shown without a stack trace (the CLI exits with 2).
 *
 * @example
 * throw new UserError('out: exists and is not a Hyperwatt output directory; refusing to replace it');
 * throw UserError.fromIssues([{ file: 'x.yaml', line: 3, column: 5, path: 'seed', message: 'expected an integer, got 1.5' }]);
 */
export class UserError extends Error {
  /** The structured problems behind the message; empty when the error is a single free-form message. */
  readonly issues: readonly Issue[];

  /**
   * @param message the complete human-readable text (several lines are fine).
   * @param issues the structured problems, for callers that want to render them differently.
   * @param options standard error options, e.g. `{ cause }` to keep the underlying system error.
   */
  constructor(message: string, issues: readonly Issue[] = [], options?: ErrorOptions) {
    super(message, options);
    this.name = 'UserError';
    this.issues = issues;
  }

  /** Builds a UserError whose message is {@link formatIssues} of `issues`, one issue per line. */
  static fromIssues(issues: readonly Issue[]): UserError {
    return new UserError(formatIssues(issues), issues);
  }
}

/** True when `error` is a {@link UserError} (also across duplicated module instances, by name). */
export function isUserError(error: unknown): error is UserError {
  return error instanceof UserError || (error instanceof Error && error.name === 'UserError' && 'issues' in error);
}

/**
 * Formats one issue as `file:line:column: path: message`, leaving out the parts that are unknown.
 *
 * @example
 * formatIssue({ file: 'x.yaml', line: 12, column: 5, path: 'hosts[3].ramMiB', message: 'expected a positive number, got -4' })
 * // 'x.yaml:12:5: hosts[3].ramMiB: expected a positive number, got -4'
 */
export function formatIssue(issue: Issue): string {
  let where = issue.file ?? '';
  if (issue.line !== undefined) {
    where += `${where ? ':' : ''}${issue.line}`;
    if (issue.column !== undefined) where += `:${issue.column}`;
  }
  const parts: string[] = [];
  if (where) parts.push(where);
  if (issue.path) parts.push(issue.path);
  parts.push(issue.message);
  return parts.join(': ');
}

/** Formats issues one per line with {@link formatIssue}, in the given order, without a trailing newline. */
export function formatIssues(issues: readonly Issue[]): string {
  return issues.map(formatIssue).join('\n');
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/**
 * Formats a data path the way users write it: `hosts[3].ramMiB`, `policy.overload.name`,
 * `labels["rack 1"]`. Numbers are array indices; keys that are not plain identifiers are quoted.
 */
export function formatPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else {
      const key = String(segment);
      if (IDENTIFIER.test(key)) text += text ? `.${key}` : key;
      else text += `[${JSON.stringify(key)}]`;
    }
  }
  return text;
}
