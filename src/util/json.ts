/**
 * Deterministic JSON for output files: the same value gives the same bytes on every run and machine.
 *
 * Keys keep insertion order (our objects are built in a fixed order, so that is deterministic and reads
 * better than sorted keys). Numbers use ECMAScript's shortest round-trip formatting (`Number.prototype
 * .toString`), which is exactly specified, so it does not vary between runs or platforms; `-0` prints as `0`.
 * Values JSON cannot hold are made explicit instead of silently dropped: NaN and ±Infinity become `null`,
 * typed arrays become arrays, and Map, Set and bigint throw rather than print `{}` or fail obscurely.
 */

/**
 * Serialises `value` as JSON with a 2-space indent and a trailing newline.
 *
 * @throws TypeError for a Map, a Set, a bigint, a function or a symbol in the value (with its path).
 * @example stableJson({ energyJoules: 1.5, ratio: NaN, samples: new Float64Array([1, 2]) })
 * // '{\n  "energyJoules": 1.5,\n  "ratio": null,\n  "samples": [\n    1,\n    2\n  ]\n}\n'
 */
export function stableJson(value: unknown): string {
  return `${JSON.stringify(normalize(value, '$'), null, 2)}\n`;
}

function normalize(value: unknown, path: string): unknown {
  switch (typeof value) {
    case 'number':
      return Number.isFinite(value) ? value : null;
    case 'string':
    case 'boolean':
    case 'undefined':
      return value;
    case 'bigint':
    case 'function':
    case 'symbol':
      throw new TypeError(`stableJson: cannot serialise a ${typeof value} at ${path}`);
  }
  if (value === null) return null;
  const withJson = value as { toJSON?: (key: string) => unknown };
  if (typeof withJson.toJSON === 'function') return normalize(withJson.toJSON(''), path);
  if (value instanceof Map || value instanceof Set) {
    throw new TypeError(`stableJson: cannot serialise a ${value instanceof Map ? 'Map' : 'Set'} at ${path}; convert it first`);
  }
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    return Array.from(value as unknown as ArrayLike<number | bigint>, (item, index) => normalize(item, `${path}[${index}]`));
  }
  if (Array.isArray(value)) {
    // undefined in an array prints as null, as JSON.stringify does.
    return value.map((item, index) => (item === undefined ? null : normalize(item, `${path}[${index}]`)));
  }
  const result: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value as object)) {
    const normalized = normalize(item, `${path}.${key}`);
    if (normalized !== undefined) {
      Object.defineProperty(result, key, { value: normalized, enumerable: true, writable: true, configurable: true });
    }
  }
  return result;
}
