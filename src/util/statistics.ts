/**
 * Small statistics kernels used by the consolidation policies, written to give the same numbers as the
 * Apache Commons Math 3 routines that CloudSim 3.0.3 calls (`DescriptiveStatistics.getPercentile(50)`,
 * `SimpleRegression`, `OLSMultipleLinearRegression.calculateRSquared`), so that policy decisions match.
 *
 * Functions take typed arrays and a length, and reuse caller-owned scratch buffers where they sort: they run
 * thousands of times per simulated interval.
 */

/**
 * Median as Apache's legacy percentile estimator computes it (p = 50: position (n + 1) / 2, linear between the
 * two neighbours). Sorts `scratch` (length ≥ n), leaves `values` untouched.
 */
/** Copies values[0..n) into scratch and sorts it ascending (insertion sort: n ≤ 30 here, no allocation). */
function sortedCopy(values: ArrayLike<number>, n: number, scratch: Float64Array): Float64Array {
  for (let i = 0; i < n; i++) {
    const v = values[i];
    let j = i - 1;
    while (j >= 0 && scratch[j] > v) {
      scratch[j + 1] = scratch[j];
      j--;
    }
    scratch[j + 1] = v;
  }
  return scratch;
}

export function median(values: ArrayLike<number>, n: number, scratch: Float64Array): number {
  if (n === 0) return NaN;
  const sorted = sortedCopy(values, n, scratch);
  const position = (n + 1) / 2;
  if (position < 1) return sorted[0];
  if (position >= n) return sorted[n - 1];
  const lower = Math.floor(position);
  const fraction = position - lower;
  const low = sorted[lower - 1];
  return low + fraction * (sorted[lower] - low);
}

/** Median absolute deviation (CloudSim's `MathUtil.mad`): median of |x − median(x)|. */
export function medianAbsoluteDeviation(values: ArrayLike<number>, n: number, scratchA: Float64Array, scratchB: Float64Array): number {
  if (n === 0) return 0;
  const m = median(values, n, scratchA);
  for (let i = 0; i < n; i++) scratchB[i] = Math.abs(m - values[i]);
  return median(scratchB, n, scratchA);
}

/**
 * Interquartile range as CloudSim's `MathUtil.iqr`: sort, then Q1 at index round(0.25 (n + 1)) − 1 and Q3 at
 * round(0.75 (n + 1)) − 1. (Java's Math.round rounds halves up, like Math.round here.)
 */
export function interquartileRange(values: ArrayLike<number>, n: number, scratch: Float64Array): number {
  const sorted = sortedCopy(values, n, scratch);
  const q1 = Math.round(0.25 * (n + 1)) - 1;
  const q3 = Math.round(0.75 * (n + 1)) - 1;
  return sorted[q3] - sorted[q1];
}

/**
 * Length of `values[0..n)` without its trailing zeros, with CloudSim's quirk: an all-zero array counts as 1
 * (`MathUtil.countNonZeroBeginning`).
 */
export function lengthWithoutZeroTail(values: ArrayLike<number>, n: number): number {
  let i = n - 1;
  while (i >= 0) {
    if (values[i--] !== 0) break;
  }
  return i + 2;
}

/**
 * Ordinary least-squares line through (x_i, y_i), accumulated exactly as Apache's `SimpleRegression.addData`
 * (running means and centred sums), so the estimates agree to the bit. Writes [intercept, slope] into `out`;
 * NaN when fewer than 3 points or x has no spread (Apache throws or returns NaN there).
 */
export function simpleRegression(x: ArrayLike<number>, y: ArrayLike<number>, n: number, out: Float64Array): void {
  let sumX = 0;
  let sumY = 0;
  let sumXX = 0;
  let sumXY = 0;
  let xbar = 0;
  let ybar = 0;
  for (let i = 0; i < n; i++) {
    const xi = x[i];
    const yi = y[i];
    if (i === 0) {
      xbar = xi;
      ybar = yi;
    } else {
      const fact1 = 1 + i;
      const fact2 = i / (1 + i);
      const dx = xi - xbar;
      const dy = yi - ybar;
      sumXX += dx * dx * fact2;
      sumXY += dx * dy * fact2;
      xbar += dx / fact1;
      ybar += dy / fact1;
    }
    sumX += xi;
    sumY += yi;
  }
  if (n < 3 || Math.abs(sumXX) < 10 * Number.MIN_VALUE) {
    out[0] = NaN;
    out[1] = NaN;
    return;
  }
  const slope = sumXY / sumXX;
  out[0] = (sumY - slope * sumX) / n;
  out[1] = slope;
}

/**
 * Coefficient of determination R² of an OLS regression with intercept of `y` (length m) on the columns of
 * `x` (m rows × k regressors, row-major), solved by Householder QR as Apache's `OLSMultipleLinearRegression`
 * does. Returns null where Apache throws an IllegalArgumentException: fewer observations than k + 1, no
 * regressors, or a singular design (a pivot of exactly zero). A constant `y` gives NaN, as in Apache.
 */
export function rSquaredWithIntercept(x: Float64Array, y: Float64Array, m: number, k: number): number | null {
  const p = k + 1;
  if (k === 0 || m === 0 || m < p) return null;
  // Scratch buffers are module-level and grown on demand: this runs thousands of times per simulated day.
  if (qrScratch.length < m * p) qrScratch = new Float64Array(m * p * 2);
  if (qtyScratch.length < m) qtyScratch = new Float64Array(m * 2);
  if (diagScratch.length < p) {
    diagScratch = new Float64Array(p * 2);
    betaScratch = new Float64Array(p * 2);
  }
  const a = qrScratch;
  const rDiag = diagScratch;
  // Design matrix with a leading column of ones, column-major.
  for (let r = 0; r < m; r++) {
    a[r] = 1;
    const row = r * k;
    for (let c = 0; c < k; c++) a[(c + 1) * m + r] = x[row + c];
  }
  // Householder QR (Apache QRDecomposition.performHouseholderReflection, column by column).
  for (let minor = 0; minor < p; minor++) {
    const col = minor * m;
    let xNormSqr = 0;
    for (let row = minor; row < m; row++) {
      const c = a[col + row];
      xNormSqr += c * c;
    }
    const alpha = a[col + minor] > 0 ? -Math.sqrt(xNormSqr) : Math.sqrt(xNormSqr);
    rDiag[minor] = alpha;
    if (alpha !== 0) {
      a[col + minor] -= alpha;
      const denominator = alpha * a[col + minor];
      for (let c = minor + 1; c < p; c++) {
        const other = c * m;
        let alphaDot = 0;
        for (let row = minor; row < m; row++) alphaDot -= a[other + row] * a[col + row];
        alphaDot /= denominator;
        for (let row = minor; row < m; row++) a[other + row] -= alphaDot * a[col + row];
      }
    }
  }
  // Singular (Apache's default threshold is 0: a pivot of exactly zero).
  for (let i = 0; i < p; i++) if (Math.abs(rDiag[i]) <= 0) return null;
  // Qᵀy
  const qty = qtyScratch;
  for (let r = 0; r < m; r++) qty[r] = y[r];
  for (let minor = 0; minor < p; minor++) {
    const col = minor * m;
    let dotProduct = 0;
    for (let row = minor; row < m; row++) dotProduct += qty[row] * a[col + row];
    dotProduct /= rDiag[minor] * a[col + minor];
    for (let row = minor; row < m; row++) qty[row] += dotProduct * a[col + row];
  }
  // Back substitution R β = Qᵀy (R's strict upper part lives in a above the diagonal).
  const beta = betaScratch;
  for (let row = p - 1; row >= 0; row--) {
    qty[row] /= rDiag[row];
    const yRow = qty[row];
    beta[row] = yRow;
    const rowBase = row * m;
    for (let i = 0; i < row; i++) qty[i] -= yRow * a[rowBase + i];
  }
  let ssr = 0;
  for (let r = 0; r < m; r++) {
    let fitted = beta[0];
    const row = r * k;
    for (let c = 0; c < k; c++) fitted += beta[c + 1] * x[row + c];
    const residual = y[r] - fitted;
    ssr += residual * residual;
  }
  // Total sum of squares as Apache's SecondMoment accumulates it (incremental mean), so that R² values that are
  // equal in exact arithmetic (VMs with identical histories) compare the way CloudSim's do.
  let n = 0;
  let m1 = 0;
  let m2 = 0;
  for (let r = 0; r < m; r++) {
    n++;
    const dev = y[r] - m1;
    const nDev = dev / n;
    m1 += nDev;
    m2 += (n - 1) * dev * nDev;
  }
  return 1 - ssr / m2;
}

let qrScratch = new Float64Array(0);
let qtyScratch = new Float64Array(0);
let diagScratch = new Float64Array(0);
let betaScratch = new Float64Array(0);

/**
 * R² of regressing each of `n` variables on all the others (OLS with intercept), for every variable at once:
 * R²ᵢ = 1 − 1 / (Cᵢᵢ · (C⁻¹)ᵢᵢ), with C the matrix of centred cross-products of the columns (a standard identity
 * of multiple regression). `data` holds the variables one after another (`stride` values each, first `m` used).
 * Costs one n × n Cholesky inversion instead of n QR decompositions.
 *
 * Returns false, leaving `out` undefined, when C is not comfortably positive definite (a pivot below 1e-10 of
 * the largest diagonal): callers then use {@link rSquaredWithIntercept}, which reproduces Apache's behaviour in
 * those degenerate cases.
 */
export function allRSquared(data: Float64Array, n: number, m: number, stride: number, out: Float64Array): boolean {
  if (cScratch.length < n * n) {
    cScratch = new Float64Array(n * n * 2);
    meanScratch = new Float64Array(n * 2);
  }
  const c = cScratch;
  const mean = meanScratch;
  for (let j = 0; j < n; j++) {
    let sum = 0;
    const base = j * stride;
    for (let r = 0; r < m; r++) sum += data[base + r];
    mean[j] = sum / m;
  }
  let maxDiagonal = 0;
  for (let j = 0; j < n; j++) {
    const bj = j * stride;
    for (let l = 0; l <= j; l++) {
      const bl = l * stride;
      let sum = 0;
      for (let r = 0; r < m; r++) sum += (data[bj + r] - mean[j]) * (data[bl + r] - mean[l]);
      c[j * n + l] = sum;
      c[l * n + j] = sum;
    }
    if (c[j * n + j] > maxDiagonal) maxDiagonal = c[j * n + j];
  }
  if (!(maxDiagonal > 0)) return false;
  // Cholesky C = L Lᵀ in place (lower triangle), then (C⁻¹)ᵢᵢ = Σ_k (L⁻¹)ₖᵢ².
  if (lScratch.length < n * n) lScratch = new Float64Array(n * n * 2);
  const l = lScratch;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = c[i * n + j];
      for (let k = 0; k < j; k++) sum -= l[i * n + k] * l[j * n + k];
      if (i === j) {
        if (sum <= 1e-10 * maxDiagonal) return false;
        l[i * n + i] = Math.sqrt(sum);
      } else {
        l[i * n + j] = sum / l[j * n + j];
      }
    }
  }
  // Invert L (lower triangular) into `inverse`, then the diagonal of C⁻¹ = L⁻ᵀ L⁻¹.
  if (invScratch.length < n * n) invScratch = new Float64Array(n * n * 2);
  const inverse = invScratch;
  for (let j = 0; j < n; j++) {
    inverse[j * n + j] = 1 / l[j * n + j];
    for (let i = j + 1; i < n; i++) {
      let sum = 0;
      for (let k = j; k < i; k++) sum -= l[i * n + k] * inverse[k * n + j];
      inverse[i * n + j] = sum / l[i * n + i];
    }
  }
  for (let i = 0; i < n; i++) {
    let diagonal = 0;
    for (let k = i; k < n; k++) diagonal += inverse[k * n + i] * inverse[k * n + i];
    out[i] = 1 - 1 / (c[i * n + i] * diagonal);
  }
  return true;
}

let cScratch = new Float64Array(0);
let meanScratch = new Float64Array(0);
let lScratch = new Float64Array(0);
let invScratch = new Float64Array(0);
