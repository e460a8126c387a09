/**
 * A strict JSON syntax checker that says where the first error is.
 *
 * `.json` scenario files are parsed by the yaml library (YAML 1.2 is a superset of JSON, and that keeps node
 * positions for error reporting), but YAML accepts things JSON does not (comments, trailing commas, unquoted
 * strings) and words its errors in YAML terms ("Block collections are not allowed within flow collections"
 * for a missing comma). This checker runs first so a `.json` file must really be JSON, and a mistake is
 * reported as `file:line:column: expected ',' or '}' after a property value`. `JSON.parse` is not used for
 * this because its messages, and whether they include a position, differ between Node versions.
 *
 * Grammar: RFC 8259. Recursion depth follows nesting depth, which is small for scenario files.
 */

/** The first syntax error in a JSON text: its UTF-16 offset and a message. */
export interface JsonSyntaxError {
  /** 0-based offset into the text (UTF-16 code units). */
  offset: number;
  message: string;
}

class Failure {
  constructor(
    readonly offset: number,
    readonly message: string,
  ) {}
}

/**
 * Checks that `text` is exactly one JSON value surrounded by optional whitespace.
 *
 * @returns undefined when the text is valid JSON, else the first error.
 * @example checkJsonSyntax('{"a": 1,}') // { offset: 8, message: "trailing comma before '}' is not allowed in JSON" }
 */
export function checkJsonSyntax(text: string): JsonSyntaxError | undefined {
  let position = 0;

  const fail = (message: string, at = position): never => {
    throw new Failure(at, message);
  };
  const describe = (at: number): string => {
    if (at >= text.length) return 'end of file';
    const character = text[at];
    if (character === '\n' || character === '\r') return 'end of line';
    return `'${character}'`;
  };
  const skipWhitespace = (): void => {
    while (position < text.length) {
      const character = text[position];
      if (character === ' ' || character === '\t' || character === '\n' || character === '\r') position++;
      else if (character === '/' && (text[position + 1] === '/' || text[position + 1] === '*')) {
        fail('comments are not allowed in JSON');
      } else break;
    }
  };

  const parseValue = (): void => {
    skipWhitespace();
    const character = text[position];
    if (character === '{') parseObject();
    else if (character === '[') parseArray();
    else if (character === '"') parseString();
    else if (character === '-' || (character !== undefined && character >= '0' && character <= '9')) parseNumber();
    else if (text.startsWith('true', position)) position += 4;
    else if (text.startsWith('false', position)) position += 5;
    else if (text.startsWith('null', position)) position += 4;
    else if (character === "'") fail('strings in JSON must use double quotes');
    else fail(`expected a value, got ${describe(position)}`);
  };

  const parseObject = (): void => {
    position++; // '{'
    skipWhitespace();
    if (text[position] === '}') {
      position++;
      return;
    }
    for (;;) {
      skipWhitespace();
      if (text[position] !== '"') {
        if (text[position] === '}') fail("trailing comma before '}' is not allowed in JSON");
        fail(`expected a double-quoted property name, got ${describe(position)}`);
      }
      parseString();
      skipWhitespace();
      if (text[position] !== ':') fail(`expected ':' after a property name, got ${describe(position)}`);
      position++;
      parseValue();
      skipWhitespace();
      if (text[position] === ',') {
        position++;
        continue;
      }
      if (text[position] === '}') {
        position++;
        return;
      }
      fail(`expected ',' or '}' after a property value, got ${describe(position)}`);
    }
  };

  const parseArray = (): void => {
    position++; // '['
    skipWhitespace();
    if (text[position] === ']') {
      position++;
      return;
    }
    for (;;) {
      skipWhitespace();
      if (text[position] === ']') fail("trailing comma before ']' is not allowed in JSON");
      parseValue();
      skipWhitespace();
      if (text[position] === ',') {
        position++;
        continue;
      }
      if (text[position] === ']') {
        position++;
        return;
      }
      fail(`expected ',' or ']' after an array element, got ${describe(position)}`);
    }
  };

  const parseString = (): void => {
    const start = position;
    position++; // opening quote
    for (;;) {
      if (position >= text.length) fail('unterminated string', start);
      const code = text.charCodeAt(position);
      if (code === 0x22) {
        position++;
        return;
      }
      if (code < 0x20) {
        if (code === 0x0a || code === 0x0d) fail('unterminated string (strings cannot span lines in JSON)', start);
        fail('control characters must be escaped in JSON strings');
      }
      if (code === 0x5c) {
        const escape = text[position + 1];
        if (escape === 'u') {
          if (!/^[0-9A-Fa-f]{4}$/.test(text.slice(position + 2, position + 6))) {
            fail('invalid \\u escape: expected four hexadecimal digits');
          }
          position += 6;
        } else if (escape !== undefined && '"\\/bfnrt'.includes(escape)) position += 2;
        else fail(`invalid escape sequence '\\${escape ?? ''}'`);
      } else position++;
    }
  };

  const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
  const parseNumber = (): void => {
    NUMBER.lastIndex = position;
    const match = NUMBER.exec(text);
    if (!match || match[0] === '-') fail('invalid number');
    const end = position + match![0].length;
    const next = text[end];
    if (next !== undefined && /[0-9.eE+\-A-Za-z_]/.test(next)) fail('invalid number', position);
    position = end;
  };

  try {
    skipWhitespace();
    if (position >= text.length) fail('the file contains no JSON value');
    parseValue();
    skipWhitespace();
    if (position < text.length) fail(`unexpected ${describe(position)} after the end of the JSON value`);
    return undefined;
  } catch (error) {
    if (error instanceof Failure) return { offset: error.offset, message: error.message };
    throw error;
  }
}
