/** Tests for UserError and the `file:line:column: path: message` issue format. */
import { describe, expect, it } from 'vitest';
import { formatIssue, formatIssues, formatPath, isUserError, UserError } from '../../src/util/user-error.js';

describe('formatIssue', () => {
  it('prints file:line:column: path: message', () => {
    expect(
      formatIssue({ file: 'examples/x.yaml', line: 12, column: 5, path: 'hosts[3].ramMiB', message: 'expected a positive number, got -4' }),
    ).toBe('examples/x.yaml:12:5: hosts[3].ramMiB: expected a positive number, got -4');
  });

  it('leaves out what is unknown', () => {
    expect(formatIssue({ file: 'x.yaml', line: 3, message: 'm' })).toBe('x.yaml:3: m');
    expect(formatIssue({ file: 'x.yaml', message: 'file not found' })).toBe('x.yaml: file not found');
    expect(formatIssue({ path: 'seed', message: 'm' })).toBe('seed: m');
    expect(formatIssue({ file: 'x.yaml', line: 1, column: 1, path: '', message: 'm' })).toBe('x.yaml:1:1: m');
    expect(formatIssue({ message: 'm' })).toBe('m');
  });

  it('prints one issue per line', () => {
    expect(formatIssues([{ file: 'a', line: 1, column: 2, message: 'x' }, { file: 'a', line: 3, column: 4, message: 'y' }])).toBe(
      'a:1:2: x\na:3:4: y',
    );
  });
});

describe('formatPath', () => {
  it('writes paths the way users do', () => {
    expect(formatPath(['hosts', 3, 'ramMiB'])).toBe('hosts[3].ramMiB');
    expect(formatPath(['policy', 'overload', 'name'])).toBe('policy.overload.name');
    expect(formatPath([0, 'a'])).toBe('[0].a');
    expect(formatPath(['labels', 'rack 1', 'x-y'])).toBe('labels["rack 1"].x-y');
    expect(formatPath([])).toBe('');
  });
});

describe('UserError', () => {
  it('keeps the message, the issues and the cause', () => {
    const cause = new Error('EACCES');
    const error = new UserError('out: permission denied', [{ message: 'permission denied' }], { cause });
    expect(error.message).toBe('out: permission denied');
    expect(error.name).toBe('UserError');
    expect(error.issues).toEqual([{ message: 'permission denied' }]);
    expect(error.cause).toBe(cause);
    expect(isUserError(error)).toBe(true);
    expect(isUserError(new Error('bug'))).toBe(false);
  });

  it('builds its message from issues', () => {
    const error = UserError.fromIssues([
      { file: 'x.yaml', line: 1, column: 7, path: 'seed', message: 'expected an integer, got 1.5' },
      { file: 'x.yaml', line: 4, column: 1, message: 'unknown key "extra"' },
    ]);
    expect(error.message).toBe('x.yaml:1:7: seed: expected an integer, got 1.5\nx.yaml:4:1: unknown key "extra"');
    expect(error.issues).toHaveLength(2);
  });
});
