/**
 * Zero for object fields that will hold fractional numbers (accumulated energy, times, sums).
 *
 * V8 stores a field initialised with an integer literal as a small integer; when the field first receives a
 * fraction, the object's layout changes and every compiled function that uses such objects is deoptimised and
 * compiled again. Starting from −0, which V8 stores as a double and which adds like 0, avoids that. Report
 * figures that may have stayed at −0 as `x === 0 ? 0 : x`.
 */
export const DOUBLE_ZERO = -0;
