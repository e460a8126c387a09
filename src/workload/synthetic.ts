/**
 * Synthetic CPU-utilisation traces for scale tests: a daily cycle, bursts and noise, seeded.
 *
 * Each VM gets a mean drawn around the configured mean, a phase for its daily cycle (so VMs do not all peak
 * together, as in multi-timezone services) and a two-state burst process: at each sample a burst starts with
 * the given probability and lasts a fixed number of samples, adding a fixed utilisation. Gaussian noise is
 * added per sample. Values are clamped to [0.01, 1]: the floor keeps VMs alive in the `cloudsim-3.0.3` mode,
 * where a VM whose demand is exactly zero counts as finished.
 *
 * This is a load generator, not a model of any measured workload; PlanetLab traces are the realistic input.
 */
import type { RandomStream } from '../kernel/random.js';

export interface SyntheticWorkload {
  vms: number;
  samples: number;
  sampleIntervalSeconds: number;
  meanUtilisation: number;
  diurnalAmplitude: number;
  burstProbability: number;
  burstUtilisation: number;
  burstSamples: number;
  noise: number;
}

/** Generates `vms × samples` utilisation fractions, row-major [vm][sample]. */
export function generateSyntheticTraces(spec: SyntheticWorkload, random: RandomStream): Float64Array {
  const { vms, samples } = spec;
  const out = new Float64Array(vms * samples);
  const samplesPerDay = 86_400 / spec.sampleIntervalSeconds;
  for (let vm = 0; vm < vms; vm++) {
    const mean = Math.min(0.95, Math.max(0.02, spec.meanUtilisation * (0.5 + random.nextFloat())));
    const phase = random.nextFloat() * 2 * Math.PI;
    let burstLeft = 0;
    const base = vm * samples;
    for (let s = 0; s < samples; s++) {
      const cycle = 1 + spec.diurnalAmplitude * Math.sin((2 * Math.PI * s) / samplesPerDay + phase);
      if (burstLeft === 0 && random.nextFloat() < spec.burstProbability) burstLeft = spec.burstSamples;
      let u = mean * cycle + (burstLeft > 0 ? spec.burstUtilisation : 0) + random.nextGaussian(0, spec.noise);
      if (burstLeft > 0) burstLeft--;
      u = u < 0.01 ? 0.01 : u > 1 ? 1 : u;
      out[base + s] = Math.round(u * 100) / 100; // whole percent, like PlanetLab
    }
  }
  return out;
}
