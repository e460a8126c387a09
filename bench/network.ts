/**
 * Network model benchmark: how fast the max-min flow network handles flows starting and ending while ~1,000
 * migrations share a data-center fabric.
 *
 * Four cases on 250 hosts with 10 Gb/s NICs (1.25e9 B/s, 25 µs), each holding 1,000 concurrent flows between
 * random host pairs (seeded, drawn beforehand so the random generator is not measured):
 * - star: backlogged, uncapped flows on one non-blocking switch. Every NIC link is full, so every end and most
 *   starts re-solve a component that spans nearly all 1,000 flows: the worst case for the solver;
 * - racks: the same on 10 racks of 25 hosts with a 40 Gb/s rack uplink (6.25:1 oversubscription);
 * - star-capped: backlogged flows capped at 2 Gb/s (a migration's max-bandwidth) — most changes take a fast
 *   path (the cap fits in the spare capacity, or the ended flow's links are not full);
 * - star-completions: finite flows (1–8 GB, uncapped) driven the way an event loop drives them: take
 *   `nextCompletionFlow()` at `nextCompletionTimeSeconds()`, end it, start a new flow in its place.
 * In the first three, one operation is a start or an end; each end of a random active flow is followed by a
 * start (20,000 operations = 10,000 replacements, 1 ms of simulated time apart). Figures: operations per
 * second, microseconds per operation (almost all of it the rate recomputation), flows re-solved per operation
 * and the share of operations that took a fast path.
 *
 * Run alone with `node dist/bench/network.js` (prints one JSON line), or call {@link benchNetwork}.
 */

import { pathToFileURL } from 'node:url';
import { RandomStream } from '../src/kernel/random.js';
import { starTopology, type StarTopology } from '../src/model/network/topology.js';

const HOSTS = 250;
const NIC_BYTES_PER_SECOND = 1.25e9; // 10 Gb/s
const NIC_LATENCY_SECONDS = 25e-6;
const CONCURRENT_FLOWS = 1_000;
const OPERATIONS = 20_000;
const WARM_UP_OPERATIONS = 4_000;

// A power of two, so `index & TABLE_MASK` cycles through the tables without a modulo.
const TABLE_SIZE = 1 << 16;
const TABLE_MASK = TABLE_SIZE - 1;

interface Tables {
  sources: Int32Array;
  targets: Int32Array;
  victims: Int32Array; // index into the active-flow array, in [0, CONCURRENT_FLOWS)
  sizesBytes: Float64Array;
}

interface CaseFigures {
  operationsPerSecond: number;
  microsecondsPerOperation: number;
  solvedFlowsPerOperation: number;
  fastPathShare: number;
}

type Build = () => StarTopology;

/** Runs the benchmark; returns flat figures (keys `<case>_<figure>`) and logs one line per case. */
export function benchNetwork(log: (line: string) => void): Record<string, number> {
  const random = new RandomStream(1, 'bench-network');
  const tables: Tables = {
    sources: new Int32Array(TABLE_SIZE),
    targets: new Int32Array(TABLE_SIZE),
    victims: new Int32Array(TABLE_SIZE),
    sizesBytes: new Float64Array(TABLE_SIZE),
  };
  for (let i = 0; i < TABLE_SIZE; i++) {
    const source = random.nextInt(HOSTS);
    const target = (source + 1 + random.nextInt(HOSTS - 1)) % HOSTS; // any host but the source
    tables.sources[i] = source;
    tables.targets[i] = target;
    tables.victims[i] = random.nextInt(CONCURRENT_FLOWS);
    tables.sizesBytes[i] = 1e9 + random.nextFloat() * 7e9;
  }

  const star: Build = () => starTopology({ hosts: HOSTS, nicBandwidthBytesPerSecond: NIC_BYTES_PER_SECOND, nicLatencySeconds: NIC_LATENCY_SECONDS });
  const racks: Build = () =>
    starTopology({
      hosts: HOSTS,
      nicBandwidthBytesPerSecond: NIC_BYTES_PER_SECOND,
      nicLatencySeconds: NIC_LATENCY_SECONDS,
      racks: { hostsPerRack: 25, uplinkBandwidthBytesPerSecond: 4 * NIC_BYTES_PER_SECOND, uplinkLatencySeconds: NIC_LATENCY_SECONDS },
    });
  const capBytesPerSecond = 0.25e9; // 2 Gb/s

  const cases: [string, () => CaseFigures][] = [
    ['star', () => replacements(star, tables, Infinity, OPERATIONS)],
    ['racks', () => replacements(racks, tables, Infinity, OPERATIONS)],
    ['star_capped', () => replacements(star, tables, capBytesPerSecond, OPERATIONS)],
    ['star_completions', () => completions(star, tables, OPERATIONS)],
  ];
  // Warm up every case first, so the optimizing compiler has seen all paths before anything is measured.
  replacements(star, tables, Infinity, WARM_UP_OPERATIONS);
  replacements(racks, tables, Infinity, WARM_UP_OPERATIONS);
  replacements(star, tables, capBytesPerSecond, WARM_UP_OPERATIONS);
  completions(star, tables, WARM_UP_OPERATIONS);

  const results: Record<string, number> = { hosts: HOSTS, concurrent_flows: CONCURRENT_FLOWS, operations: OPERATIONS };
  for (const [name, run] of cases) {
    const figures = run();
    results[`${name}_operations_per_second`] = figures.operationsPerSecond;
    results[`${name}_microseconds_per_operation`] = figures.microsecondsPerOperation;
    results[`${name}_solved_flows_per_operation`] = figures.solvedFlowsPerOperation;
    results[`${name}_fast_path_share`] = figures.fastPathShare;
    log(
      `  ${name}: ${(figures.operationsPerSecond / 1e3).toFixed(1)} k ops/s, ${figures.microsecondsPerOperation.toFixed(1)} µs/op, ` +
        `${figures.solvedFlowsPerOperation.toFixed(0)} flows re-solved/op, ${(100 * figures.fastPathShare).toFixed(0)} % fast path`,
    );
  }
  return results;
}

/** Fills 1,000 backlogged flows, then replaces a random one `operations / 2` times; times the replacements. */
function replacements(build: Build, tables: Tables, capBytesPerSecond: number, operations: number): CaseFigures {
  const topology = build();
  const network = topology.network;
  const active = new Int32Array(CONCURRENT_FLOWS);
  for (let i = 0; i < CONCURRENT_FLOWS; i++) {
    active[i] = topology.startFlowBetweenHosts(0, tables.sources[i], tables.targets[i], Infinity, capBytesPerSecond);
  }
  const before = { ...network.statistics };
  const replacementsCount = operations / 2;
  let now = 0;
  const start = performance.now();
  for (let i = 0; i < replacementsCount; i++) {
    now += 0.001;
    const slot = tables.victims[i & TABLE_MASK];
    network.endFlow(now, active[slot]);
    const pair = (CONCURRENT_FLOWS + i) & TABLE_MASK;
    active[slot] = topology.startFlowBetweenHosts(now, tables.sources[pair], tables.targets[pair], Infinity, capBytesPerSecond);
  }
  const seconds = (performance.now() - start) / 1000;
  if (network.activeFlowCount !== CONCURRENT_FLOWS) throw new Error('benchNetwork: lost flows');
  return figures(operations, seconds, network.statistics, before);
}

/** Finite flows; each completion (in time order) ends its flow and starts a new one. One operation = one end or start. */
function completions(build: Build, tables: Tables, operations: number): CaseFigures {
  const topology = build();
  const network = topology.network;
  for (let i = 0; i < CONCURRENT_FLOWS; i++) topology.startFlowBetweenHosts(0, tables.sources[i], tables.targets[i], tables.sizesBytes[i]);
  const before = { ...network.statistics };
  const replacementsCount = operations / 2;
  const start = performance.now();
  for (let i = 0; i < replacementsCount; i++) {
    const now = network.nextCompletionTimeSeconds();
    network.endFlow(now, network.nextCompletionFlow());
    const pair = (CONCURRENT_FLOWS + i) & TABLE_MASK;
    topology.startFlowBetweenHosts(now, tables.sources[pair], tables.targets[pair], tables.sizesBytes[pair]);
  }
  const seconds = (performance.now() - start) / 1000;
  if (network.activeFlowCount !== CONCURRENT_FLOWS) throw new Error('benchNetwork: lost flows');
  return figures(operations, seconds, network.statistics, before);
}

function figures(
  operations: number,
  seconds: number,
  after: { fastUpdates: number; componentSolves: number; solvedFlows: number },
  before: { fastUpdates: number; componentSolves: number; solvedFlows: number },
): CaseFigures {
  const fast = after.fastUpdates - before.fastUpdates;
  const solves = after.componentSolves - before.componentSolves;
  return {
    operationsPerSecond: Math.round(operations / seconds),
    microsecondsPerOperation: (seconds * 1e6) / operations,
    solvedFlowsPerOperation: (after.solvedFlows - before.solvedFlows) / operations,
    fastPathShare: fast / (fast + solves),
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(benchNetwork((line) => process.stderr.write(`${line}\n`))));
}
