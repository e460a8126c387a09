/** Tests for deterministic JSON output. */
import { describe, expect, it } from 'vitest';
import { stableJson } from '../../src/util/json.js';

describe('stableJson', () => {
  it('indents by two spaces and ends with a newline', () => {
    expect(stableJson({ a: 1, b: [true, 'x'] })).toBe('{\n  "a": 1,\n  "b": [\n    true,\n    "x"\n  ]\n}\n');
    expect(stableJson([])).toBe('[]\n');
  });

  it('keeps insertion order of keys', () => {
    expect(stableJson({ z: 1, a: 2 })).toBe('{\n  "z": 1,\n  "a": 2\n}\n');
  });

  it('prints NaN and infinities as null, -0 as 0, and shortest round-trip numbers', () => {
    expect(stableJson({ nan: NaN, inf: Infinity, negInf: -Infinity, zero: -0, third: 1 / 3, big: 1e21, small: 5e-7 })).toBe(
      '{\n  "nan": null,\n  "inf": null,\n  "negInf": null,\n  "zero": 0,\n  "third": 0.3333333333333333,\n  "big": 1e+21,\n  "small": 5e-7\n}\n',
    );
    expect(stableJson([NaN, 0.1 + 0.2])).toBe('[\n  null,\n  0.30000000000000004\n]\n');
  });

  it('turns typed arrays into arrays, with non-finite values as null', () => {
    expect(stableJson({ samples: new Float64Array([1.5, NaN]), counts: new Uint8Array([1, 2]) })).toBe(
      '{\n  "samples": [\n    1.5,\n    null\n  ],\n  "counts": [\n    1,\n    2\n  ]\n}\n',
    );
  });

  it('drops undefined properties, writes undefined array items as null and uses toJSON', () => {
    expect(stableJson({ a: undefined, b: [undefined], at: new Date(0) })).toBe(
      '{\n  "b": [\n    null\n  ],\n  "at": "1970-01-01T00:00:00.000Z"\n}\n',
    );
  });

  it('refuses values JSON cannot represent, naming where they are', () => {
    expect(() => stableJson({ a: [new Map()] })).toThrow('stableJson: cannot serialise a Map at $.a[0]; convert it first');
    expect(() => stableJson({ n: 1n })).toThrow('stableJson: cannot serialise a bigint at $.n');
  });

  it('gives the same bytes for the same value', () => {
    const value = { series: Array.from({ length: 50 }, (_, index) => Math.sin(index) * 1e3), label: 'run' };
    expect(stableJson(structuredClone(value))).toBe(stableJson(value));
  });
});
