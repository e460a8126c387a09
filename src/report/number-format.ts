/**
 * Deterministic number formatting for output files (CSV, the JSON embedded in HTML reports).
 *
 * Output files are compared byte for byte in golden tests, so a number must always print the same way and
 * never as floating-point noise such as `0.30000000000000004` or `1.2e-17`. The rules, in order:
 *
 * - `NaN` prints as the empty string (a missing CSV field); `±Infinity` prints as `Infinity` / `-Infinity`.
 * - Integers print plainly, with every digit (`288`, `1250000`), never in exponent form.
 * - Other numbers keep every digit of their integer part and as many decimals as needed for
 *   {@link SIGNIFICANT_DIGITS} significant digits, but at most {@link MAX_DECIMALS} decimals; trailing zeros
 *   are dropped, and a result that rounds to zero prints as `0` (never `-0`).
 *
 * Rounding is `Math.round(|value| × 10^decimals)` in IEEE-754 binary64 arithmetic (ties away from zero), so the
 * text is the same on every platform.
 *
 * There is one implementation, {@link writeNumber}, which writes ASCII bytes straight into a buffer: a host
 * CSV formats millions of values, and going through a JavaScript string per value (`toFixed`, `String(x)`)
 * costs several times more. {@link formatNumber} wraps it for single values.
 */

/** Significant digits kept for non-integer values. */
export const SIGNIFICANT_DIGITS = 6;

/** Most decimals ever printed: values below 5e-13 in magnitude print as `0`, hiding floating-point noise. */
export const MAX_DECIMALS = 12;

/** Longest text {@link writeNumber} can produce: `-` and the 309 digits of −1.8e308. */
export const MAX_NUMBER_TEXT_BYTES = 310;

/** 10^k for k = 0..22, all exact in binary64; used to find the decimal exponent without a logarithm. */
const POWERS_OF_TEN: readonly number[] = Array.from({ length: 23 }, (_, k) => 10 ** k);

/** Integers at or above this magnitude are not exact in binary64 digit arithmetic; they go through BigInt. */
const LARGEST_EXACT_INTEGER = Number.MAX_SAFE_INTEGER;

/** Largest value whose digits can be produced with 32-bit integer arithmetic. */
const INT31_MAX = 0x7fffffff;

const ZERO = 48; // '0'
const MINUS = 45; // '-'
const POINT = 46; // '.'

/**
 * Writes the text of a number as ASCII bytes (rules in the module comment).
 *
 * @param target the buffer to write into; it must have {@link MAX_NUMBER_TEXT_BYTES} free bytes at `offset`.
 * @param offset the index of the first byte to write.
 * @param value the number to format.
 * @returns the index just past the last byte written (equal to `offset` for `NaN`, which prints as nothing).
 */
export function writeNumber(target: Uint8Array, offset: number, value: number): number {
  let magnitude = value < 0 ? -value : value;
  let decimals = 0;
  if (!Number.isInteger(value)) {
    if (value !== value) return offset; // NaN
    if (magnitude === Infinity) return writeAscii(target, offset, value > 0 ? 'Infinity' : '-Infinity');
    // Digits before the decimal point (≤ 0 below 1). A loop over exact powers of ten is faster than Math.log10
    // and never off by one at a boundary.
    let integerDigits = 0;
    if (magnitude >= 1) {
      while (integerDigits < 22 && magnitude >= POWERS_OF_TEN[integerDigits + 1]) integerDigits++;
      integerDigits++;
    } else {
      while (integerDigits > -MAX_DECIMALS && magnitude * POWERS_OF_TEN[1 - integerDigits] < 1) integerDigits--;
    }
    decimals = SIGNIFICANT_DIGITS - integerDigits;
    if (decimals < 0) decimals = 0;
    else if (decimals > MAX_DECIMALS) decimals = MAX_DECIMALS;
    // Non-integers are below 2^53, and the scaled value below 10^(integer digits + decimals) ≤ 2^53 too, so
    // everything from here on is exact integer arithmetic.
    magnitude = Math.round(magnitude * POWERS_OF_TEN[decimals]);
    // Floating-point % is a library call (fmod); nearly every scaled value fits in 31 bits, where integer
    // division is several times faster.
    if (magnitude <= INT31_MAX) {
      let small = magnitude | 0;
      while (decimals > 0 && small % 10 === 0) {
        small = (small / 10) | 0;
        decimals--;
      }
      magnitude = small;
    } else {
      while (decimals > 0 && magnitude % 10 === 0) {
        magnitude /= 10;
        decimals--;
      }
    }
  } else if (magnitude > LARGEST_EXACT_INTEGER) {
    return writeAscii(target, offset, BigInt(value).toString());
  }
  if (magnitude === 0) {
    target[offset] = ZERO; // also for -0 and negatives that round to zero
    return offset + 1;
  }
  let position = offset;
  if (value < 0) target[position++] = MINUS;
  let digitCount = 1;
  while (digitCount < 16 && magnitude >= POWERS_OF_TEN[digitCount]) digitCount++;
  // With decimals, at least one digit goes before the point: 0.0012 has digits "12" written as "0.0012".
  const totalDigits = digitCount > decimals ? digitCount : decimals + 1;
  const end = position + totalDigits + (decimals > 0 ? 1 : 0);
  let cursor = end;
  if (magnitude <= INT31_MAX) {
    let small = magnitude | 0;
    for (let written = 0; written < totalDigits; written++) {
      if (written === decimals && decimals > 0) target[--cursor] = POINT;
      const quotient = (small / 10) | 0;
      target[--cursor] = ZERO + small - quotient * 10;
      small = quotient;
    }
  } else {
    for (let written = 0; written < totalDigits; written++) {
      if (written === decimals && decimals > 0) target[--cursor] = POINT;
      const digit = magnitude % 10;
      target[--cursor] = ZERO + digit;
      magnitude = (magnitude - digit) / 10;
    }
  }
  return end;
}

/** Writes an ASCII string and returns the index past it. */
function writeAscii(target: Uint8Array, offset: number, text: string): number {
  for (let index = 0; index < text.length; index++) target[offset + index] = text.charCodeAt(index);
  return offset + text.length;
}

/** Scratch space for {@link formatNumber}; a Buffer because its latin1 decoding is the fastest way back. */
const scratch = Buffer.alloc(MAX_NUMBER_TEXT_BYTES);

/**
 * Formats a number for an output file: integers plainly, other values with up to six significant digits and
 * no exponent notation.
 *
 * @param value the number to format, in whatever unit the column states.
 * @returns the text; `''` for `NaN`.
 * @example
 * formatNumber(288);          // '288'
 * formatNumber(0.1 + 0.2);    // '0.3'
 * formatNumber(1 / 3);        // '0.333333'
 * formatNumber(123456.789);   // '123457'
 * formatNumber(2.5e-7);       // '0.00000025'
 * formatNumber(1e-17);        // '0'
 */
export function formatNumber(value: number): string {
  return scratch.toString('latin1', 0, writeNumber(scratch, 0, value));
}

/**
 * Rounds a number the way {@link formatNumber} prints it, for data embedded as JSON. Non-finite values become
 * `null`, which is what JSON can represent and what charts treat as a gap.
 *
 * @example roundForOutput(1 / 3); // 0.333333
 */
export function roundForOutput(value: number): number | null {
  if (Number.isInteger(value)) return value === 0 ? 0 : value;
  if (!Number.isFinite(value)) return null;
  const rounded = Number(formatNumber(value));
  return rounded === 0 ? 0 : rounded;
}
