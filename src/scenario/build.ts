/**
 * From a validated scenario to the inputs of a simulation: hosts, VMs and their utilisation traces.
 *
 * Paths in a scenario are relative to the scenario file's directory; `{day}` is replaced by the PlanetLab day.
 * All file problems surface as UserErrors naming the file (and line, for trace files).
 */
import { dirname, isAbsolute, resolve } from 'node:path';
import { RandomStreams } from '../kernel/random.js';
import { POWER_CATALOG } from '../model/power-catalog.js';
import { linearPowerModel, specPowerModel, type PowerModel } from '../model/power-model.js';
import { DEFAULT_POWER_CURVE_OPTIONS, defaultDetailedHost, detailedHostPowerCurve } from '../mechanisms/host/power-curve.js';
import { GUEST_PROFILES } from '../workload/guest-workload.js';
import { readPlanetLabDay, readVmOrder } from '../workload/planetlab.js';
import { generateSyntheticTraces } from '../workload/synthetic.js';
import { UserError } from '../util/user-error.js';
import type { Scenario } from './schema.js';

export interface BuiltHost {
  type: string;
  cores: number;
  mipsPerCore: number;
  ramMiB: number;
  bandwidthMbps: number;
  storageMB: number;
  power: PowerModel;
}

export interface BuiltVm {
  type: string;
  mips: number;
  pes: number;
  ramMiB: number;
  bandwidthMbps: number;
  sizeMB: number;
  /** The trace this VM runs (file name for PlanetLab, index for synthetic). */
  trace: string;
}

export interface BuiltScenario {
  hosts: BuiltHost[];
  vms: BuiltVm[];
  /** Row-major [vm][sample] utilisation fractions. */
  utilisation: Float64Array;
  samplesPerVm: number;
  sampleIntervalSeconds: number;
  streams: RandomStreams;
}

/** Detailed-host curves already measured in this process, by (cores, profile, otherWatts). */
const detailedCurves = new Map<string, number[]>();

function detailedHostCurve(cores: number, profile: string, otherWatts: number): number[] {
  const key = `${cores}/${profile}/${otherWatts}`;
  let curve = detailedCurves.get(key);
  if (!curve) {
    curve = detailedHostPowerCurve(defaultDetailedHost(cores), GUEST_PROFILES[profile](), { ...DEFAULT_POWER_CURVE_OPTIONS, otherWatts });
    detailedCurves.set(key, curve);
  }
  return curve;
}

function powerModel(spec: Scenario['hosts']['types'][number]['power'], name: string, exactCloudSim: boolean, cores: number): PowerModel {
  const interpolation = exactCloudSim ? 'cloudsim' : 'exact';
  switch (spec.model) {
    case 'detailed-host':
      return specPowerModel(`${name} (detailed host, ${spec.profile})`, detailedHostCurve(cores, spec.profile, spec.otherWatts), interpolation);
    case 'specpower':
      return specPowerModel(spec.server, POWER_CATALOG[spec.server].watts, interpolation);
    case 'table':
      return specPowerModel(name, spec.watts, interpolation);
    case 'linear':
      return linearPowerModel(name, spec.idleWatts, spec.maxWatts);
  }
}

/** Resolves a scenario path against the scenario file's directory and substitutes `{day}`. */
export function resolveScenarioPath(path: string, scenarioFile: string, day?: string): string {
  const substituted = day === undefined ? path : path.replaceAll('{day}', day);
  return isAbsolute(substituted) ? substituted : resolve(dirname(scenarioFile), substituted);
}

export function buildScenario(scenario: Scenario, scenarioFile: string): BuiltScenario {
  const streams = new RandomStreams(scenario.seed);
  const exact = scenario.mode === 'cloudsim-3.0.3';
  const hostTypes = scenario.hosts.types.map((t) => ({ ...t, model: powerModel(t.power, t.name, exact, t.cores) }));
  const hosts: BuiltHost[] = [];
  for (let i = 0; i < scenario.hosts.count; i++) {
    const t = hostTypes[i % hostTypes.length];
    hosts.push({
      type: t.name,
      cores: t.cores,
      mipsPerCore: t.mipsPerCore,
      ramMiB: t.ramMiB,
      bandwidthMbps: t.bandwidthMbps,
      storageMB: t.storageMB,
      power: t.model,
    });
  }
  const vmTypes = scenario.vms.types;
  const workload = scenario.workload;
  let traceNames: string[];
  let utilisation: Float64Array;
  let samplesPerVm: number;
  let sampleIntervalSeconds: number;
  let typeOf: (index: number, count: number) => number;
  if (workload.kind === 'planetlab') {
    const directory = resolveScenarioPath(workload.directory, scenarioFile, workload.day);
    const assignment = scenario.vms.assignment;
    let order: { type: number; trace: string }[] | undefined;
    if (assignment.kind === 'order-file') {
      const orderFile = resolveScenarioPath(assignment.file, scenarioFile, workload.day);
      order = inField(scenarioFile, 'vms.assignment.file', () => readVmOrder(orderFile, vmTypes.length));
    }
    const day = inField(scenarioFile, 'workload.directory', () => readPlanetLabDay(directory, order?.map((o) => o.trace)));
    traceNames = day.names;
    utilisation = day.utilisation;
    samplesPerVm = day.sampleCount;
    sampleIntervalSeconds = 300;
    typeOf = order ? (i) => order![i].type : blockOrRandom(scenario, streams);
  } else {
    samplesPerVm = workload.samples;
    sampleIntervalSeconds = workload.sampleIntervalSeconds;
    utilisation = generateSyntheticTraces({ ...workload }, streams.get('synthetic-workload'));
    traceNames = Array.from({ length: workload.vms }, (_, i) => `synthetic-${i}`);
    if (scenario.vms.assignment.kind === 'order-file') {
      throw new UserError(`${scenarioFile}: vms.assignment: an order file needs a planetlab workload; use "blocks" or "random"`);
    }
    typeOf = blockOrRandom(scenario, streams);
  }
  const count = traceNames.length;
  const vms: BuiltVm[] = traceNames.map((trace, i) => {
    const t = vmTypes[typeOf(i, count)];
    return { type: t.name, mips: t.mips, pes: t.pes, ramMiB: t.ramMiB, bandwidthMbps: t.bandwidthMbps, sizeMB: t.sizeMB, trace };
  });
  return { hosts, vms, utilisation, samplesPerVm, sampleIntervalSeconds, streams };
}

/**
 * Runs a file reader for a scenario field; a missing file or directory is reported with the scenario file and
 * the field that named it (problems inside a trace file already carry that file and line).
 */
function inField<T>(scenarioFile: string, field: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof UserError && /: (trace directory not found|VM-order file not found|expected a directory)/.test(error.message)) {
      throw new UserError(`${scenarioFile}: ${field}: ${error.message}`, error.issues);
    }
    throw error;
  }
}

function blockOrRandom(scenario: Scenario, streams: RandomStreams): (index: number, count: number) => number {
  const types = scenario.vms.types.length;
  if (scenario.vms.assignment.kind === 'random') {
    const random = streams.get('vm-types');
    return () => random.nextInt(types);
  }
  // CloudSim's Helper.createVmList: VM i gets type floor(i / ceil(n / types)).
  return (i, count) => Math.floor(i / Math.ceil(count / types));
}
