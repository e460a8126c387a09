/**
 * Seeded random streams: one independent, reproducible stream per component.
 *
 * A scenario has one integer seed. {@link RandomStreams} hands each component its own stream by name
 * (`streams.get('vm-selection')`), so adding a random draw in one component never shifts the numbers another
 * component sees, and the same (seed, name) gives the same sequence on every machine.
 *
 * Generator: xoshiro128** 1.1 (32-bit words, 128-bit state, period 2^128 - 1) from D. Blackman and S. Vigna,
 * "Scrambled linear pseudorandom number generators", ACM Transactions on Mathematical Software 47(4), 2021
 * (preprint 2018), reference code https://prng.di.unimi.it/xoshiro128starstar.c. It is written here rather than
 * taken from pure-rand, which is not a dependency of this project. Everything is 32-bit integer arithmetic
 * (`Math.imul`, shifts, xor), exact and identical on every JavaScript engine; the state lives in an
 * `Int32Array`, so a draw allocates nothing.
 *
 * Stream derivation from (seed, name), all 32-bit integer arithmetic:
 * 1. the seed, a safe integer, is split into its low and high 32-bit words (two's complement);
 * 2. the name's UTF-8 bytes are hashed twice, with FNV-1a (32-bit) and with a chain of lowbias32 steps,
 *    giving 64 bits of name;
 * 3. the four words pass through lowbias32 (C. Wellons, "Prospecting for Hash Functions", 2018, constants
 *    0x7feb352d and 0x846ca68b) and two rounds of Feistel-style cross-mixing. Every step is a bijection, so
 *    different (seed, name-hash) pairs give different 128-bit states and every input bit reaches every word.
 *    This plays the role of the splitmix64 seeding that Blackman and Vigna recommend.
 * Streams are independent in the usual statistical sense: their starting points are unrelated points of one
 * 2^128 - 1 cycle, so overlap within any feasible run is vanishingly unlikely.
 *
 * @example
 * ```ts
 * const streams = new RandomStreams(42);
 * const selection = streams.get('vm-selection');
 * const hostIndex = selection.nextInt(hostCount);
 * const noise = streams.get('cpu-noise').nextGaussian(0, 0.05);
 * ```
 */

const TWO_POW_32 = 4294967296;
const TWO_POW_53 = 9007199254740992;
const TWO_POW_26 = 67108864;

/** One reproducible stream of random numbers (xoshiro128**). Draws allocate nothing. */
export class RandomStream {
  /** The component name the stream was derived from. */
  readonly name: string;
  // The four 32-bit state words, s[0..3] of the reference code.
  private readonly state = new Int32Array(4);
  // Marsaglia's polar method makes normal deviates in pairs; the second one waits here.
  private spareGaussian = 0;
  private hasSpareGaussian = false;

  /**
   * @param seed the scenario seed, a safe integer (negative values allowed).
   * @param name the component name, e.g. `'vm-selection'`; any string, compared by its UTF-8 bytes.
   */
  constructor(seed: number, name: string) {
    if (!Number.isSafeInteger(seed)) throw new RangeError(`RandomStream: seed must be a safe integer, got ${seed}`);
    if (typeof name !== 'string') throw new TypeError(`RandomStream: name must be a string, got ${typeof name}`);
    this.name = name;

    const bytes = new TextEncoder().encode(name);
    let fnv = 0x811c9dc5; // FNV-1a 32-bit offset basis
    let chain = 0x6a09e667 ^ bytes.length;
    for (let i = 0; i < bytes.length; i++) {
      fnv = Math.imul(fnv ^ bytes[i], 0x01000193); // FNV 32-bit prime
      chain = lowbias32(chain ^ bytes[i]);
    }

    // Distinct salts (hexadecimal digits of pi) keep equal inputs in different words from mixing alike.
    let x0 = lowbias32(seed ^ 0x243f6a88); // `^` takes the low 32 bits of the seed
    let x1 = lowbias32((Math.floor(seed / TWO_POW_32) | 0) ^ 0x85a308d3); // exact: division by a power of two
    let x2 = lowbias32(fnv ^ 0x13198a2e);
    let x3 = lowbias32(chain ^ 0x03707344);
    for (let round = 0; round < 2; round++) {
      // Each line is invertible (the other word is known), so the whole mix is a bijection.
      x1 ^= lowbias32(x0 ^ 0x9e3779b9);
      x2 ^= lowbias32(x1 ^ 0x9e3779b9);
      x3 ^= lowbias32(x2 ^ 0x9e3779b9);
      x0 ^= lowbias32(x3 ^ 0x9e3779b9);
    }
    // xoshiro must not start from the all-zero state; one input in 2^128 lands there.
    if ((x0 | x1 | x2 | x3) === 0) x0 = 1;
    const state = this.state;
    state[0] = x0;
    state[1] = x1;
    state[2] = x2;
    state[3] = x3;
  }

  /** Next 32 random bits as an integer in [0, 2^32). One xoshiro128** step. */
  nextUint32(): number {
    const state = this.state;
    const s0 = state[0];
    const s1 = state[1];
    const s2 = state[2] ^ s0;
    const s3 = state[3] ^ s1;
    const product = Math.imul(s1, 5);
    const result = Math.imul((product << 7) | (product >>> 25), 9) >>> 0;
    state[0] = s0 ^ s3;
    state[1] = s1 ^ s2;
    state[2] = s2 ^ (s1 << 9);
    state[3] = (s3 << 11) | (s3 >>> 21);
    return result;
  }

  /** Uniform float in [0, 1) with 53 random bits (every double multiple of 2^-53 is equally likely). Two steps. */
  nextFloat(): number {
    const high = this.nextUint32() >>> 5; // 27 bits
    const low = this.nextUint32() >>> 6; // 26 bits
    return (high * TWO_POW_26 + low) / TWO_POW_53;
  }

  /**
   * Uniform integer in [0, maxExclusive), without modulo bias (rejection sampling: draws that would favour
   * small results are redrawn, at most half of them in the worst case).
   *
   * @param maxExclusive an integer in [1, 2^32].
   */
  nextInt(maxExclusive: number): number {
    if (!(maxExclusive >= 1 && maxExclusive <= TWO_POW_32 && maxExclusive % 1 === 0)) {
      throw new RangeError(`RandomStream.nextInt: maxExclusive must be an integer in [1, 2^32], got ${maxExclusive}`);
    }
    // The largest multiple of maxExclusive not above 2^32: below it, every residue occurs equally often.
    const limit = TWO_POW_32 - (TWO_POW_32 % maxExclusive);
    let bits = this.nextUint32();
    while (bits >= limit) bits = this.nextUint32();
    return bits % maxExclusive;
  }

  /**
   * Normal deviate by Marsaglia's polar method (G. Marsaglia and T. A. Bray, "A convenient method for
   * generating normal variables", SIAM Review 6(3), 1964). Uses only `Math.log` (V8's port of fdlibm, the same
   * on every platform) and `Math.sqrt` (correctly rounded), so results are reproducible across machines.
   *
   * @param mean mean of the distribution, in the caller's unit. Default 0.
   * @param standardDeviation standard deviation, in the caller's unit. Default 1.
   */
  nextGaussian(mean = 0, standardDeviation = 1): number {
    if (this.hasSpareGaussian) {
      this.hasSpareGaussian = false;
      return mean + standardDeviation * this.spareGaussian;
    }
    let u: number;
    let v: number;
    let radiusSquared: number;
    do {
      u = 2 * this.nextFloat() - 1;
      v = 2 * this.nextFloat() - 1;
      radiusSquared = u * u + v * v;
    } while (radiusSquared >= 1 || radiusSquared === 0);
    const scale = Math.sqrt((-2 * Math.log(radiusSquared)) / radiusSquared);
    this.spareGaussian = v * scale;
    this.hasSpareGaussian = true;
    return mean + standardDeviation * (u * scale);
  }
}

/** The random streams of one simulation run, derived from the scenario seed, one per component name. */
export class RandomStreams {
  /** The scenario seed. */
  readonly seed: number;
  private readonly streams = new Map<string, RandomStream>();

  /** @param seed the scenario seed, a safe integer. */
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) throw new RangeError(`RandomStreams: seed must be a safe integer, got ${seed}`);
    this.seed = seed;
  }

  /**
   * The stream of a component. The first call creates it from (seed, name); later calls with the same name
   * return the same object, continuing its sequence. Look it up once, not per draw.
   *
   * @param name the component name, e.g. `'vm-selection'`.
   */
  get(name: string): RandomStream {
    let stream = this.streams.get(name);
    if (stream === undefined) {
      stream = new RandomStream(this.seed, name);
      this.streams.set(name, stream);
    }
    return stream;
  }
}

/**
 * A bijective 32-bit integer hash with low bias: C. Wellons, "Prospecting for Hash Functions" (2018),
 * https://nullprogram.com/blog/2018/07/31/. Returns an int32.
 */
function lowbias32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x;
}
