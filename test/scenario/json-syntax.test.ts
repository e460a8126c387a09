/** Tests for the strict JSON syntax checker used before `.json` files are parsed. */
import { describe, expect, it } from 'vitest';
import { checkJsonSyntax } from '../../src/scenario/json-syntax.js';

describe('checkJsonSyntax', () => {
  it('accepts valid JSON of every kind', () => {
    const valid = [
      '{}',
      '[]',
      ' \t\r\n{"a": [1, -0.5, 2e10, 3E-2, 0, -0], "b": {"c": null, "d": true, "e": false}}\n',
      '"text with \\"escapes\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9"',
      '42',
      '"unicode é ☃"',
    ];
    for (const text of valid) {
      expect(checkJsonSyntax(text), text).toBeUndefined();
      expect(() => JSON.parse(text)).not.toThrow();
    }
  });

  it('finds the first error and its offset', () => {
    expect(checkJsonSyntax('{"a": 1,}')).toEqual({ offset: 8, message: "trailing comma before '}' is not allowed in JSON" });
    expect(checkJsonSyntax('[1,]')).toEqual({ offset: 3, message: "trailing comma before ']' is not allowed in JSON" });
    expect(checkJsonSyntax('[1 2]')).toEqual({ offset: 3, message: "expected ',' or ']' after an array element, got '2'" });
    expect(checkJsonSyntax('{"a" 1}')).toEqual({ offset: 5, message: "expected ':' after a property name, got '1'" });
    expect(checkJsonSyntax('{a: 1}')).toEqual({ offset: 1, message: "expected a double-quoted property name, got 'a'" });
    expect(checkJsonSyntax('[1.]')).toEqual({ offset: 1, message: 'invalid number' });
    expect(checkJsonSyntax('[-]')).toEqual({ offset: 1, message: 'invalid number' });
    expect(checkJsonSyntax('[NaN]')).toEqual({ offset: 1, message: "expected a value, got 'N'" });
    expect(checkJsonSyntax('"\\u12"')).toEqual({ offset: 1, message: 'invalid \\u escape: expected four hexadecimal digits' });
    expect(checkJsonSyntax('"a\tb"')).toEqual({ offset: 2, message: 'control characters must be escaped in JSON strings' });
    expect(checkJsonSyntax('/* c */ {}')).toEqual({ offset: 0, message: 'comments are not allowed in JSON' });
    expect(checkJsonSyntax('   ')).toEqual({ offset: 3, message: 'the file contains no JSON value' });
  });
});
