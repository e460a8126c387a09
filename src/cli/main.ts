#!/usr/bin/env node
/**
 * The `hyperwatt` command. Each subcommand is a thin layer over the library; bad input (UserError) prints its
 * message and exits with 2, without a stack trace; anything else is a bug and keeps its stack (exit 1).
 */
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { isUserError } from '../util/user-error.js';

// Commands are loaded when they run, so that start-up only pays for the command used (the scenario schema, the
// report's assets and the worker pool are not needed by `--help` or `schema`).
const runCommand = async (...args: Parameters<typeof import('./run.js').runCommand>) => (await import('./run.js')).runCommand(...args);
const validateCommand = async (...args: Parameters<typeof import('./validate.js').validateCommand>) =>
  (await import('./validate.js')).validateCommand(...args);
const calibrateCommand = async (...args: Parameters<typeof import('./calibrate.js').calibrateCommand>) =>
  (await import('./calibrate.js')).calibrateCommand(...args);
const schemaCommand = async (flags: { host?: boolean; smp?: boolean; vcpuExperiment?: boolean; memory?: boolean }) => (await import('./schema.js')).schemaCommand(flags);
const sweepCommand = async (...args: Parameters<typeof import('./sweep.js').sweepCommand>) => (await import('./sweep.js')).sweepCommand(...args);
const migrateCommand = async (...args: Parameters<typeof import('./migrate.js').migrateCommand>) => (await import('./migrate.js')).migrateCommand(...args);
const migrateSweepCommand = async (...args: Parameters<typeof import('./migrate-sweep.js').migrateSweepCommand>) =>
  (await import('./migrate-sweep.js')).migrateSweepCommand(...args);
const compareCommand = async (...args: Parameters<typeof import('./compare.js').compareCommand>) => (await import('./compare.js')).compareCommand(...args);
const agentCommand = async (...args: Parameters<typeof import('./agent.js').agentCommand>) => (await import('./agent.js')).agentCommand(...args);
const guestBuildCommand = async (...args: Parameters<typeof import('./guest.js').guestBuildCommand>) => (await import('./guest.js')).guestBuildCommand(...args);
const sweepMergeCommand = async (...args: Parameters<typeof import('./sweep.js').sweepMergeCommand>) =>
  (await import('./sweep.js')).sweepMergeCommand(...args);

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function integer(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer');
  return n;
}

export function buildProgram(): Command {
  const program = new Command('hyperwatt')
    .description('Energy- and resource-aware VM management: a deterministic data-center simulator')
    .version('0.1.0')
    .showHelpAfterError()
    // `sweep` and `sweep merge` both have --out: options belong to the command they follow.
    .enablePositionalOptions()
    .exitOverride();
  program
    .command('run')
    .description('run one scenario (data center, or kind: host) and write its summary, time series and report')
    .argument('<scenario>', 'scenario file (YAML or JSON)')
    .option('--set <path=value>', 'override a scenario field (repeatable), e.g. --set workload.day=20110306', collect, [])
    .option('--seed <n>', 'seed of the run (overrides the scenario; data-center scenarios only)', integer)
    .option('--out <dir>', 'output directory (default: out/<scenario name>)')
    .option('--no-out', 'write no files')
    .option('--json', 'print the summary as one JSON object on stdout')
    .option('--quiet', 'no progress output')
    .action(runCommand);
  program
    .command('validate')
    .description('check a scenario file and report every problem')
    .argument('<scenario>', 'scenario file (YAML or JSON)')
    .option('--set <path=value>', 'override a scenario field (repeatable)', collect, [])
    .action(validateCommand);
  program
    .command('calibrate')
    .description("fit the energy estimator's weights for a host scenario's host and write them as JSON (for host.weights)")
    .argument('<scenario>', 'host scenario file (kind: host)')
    .option('--set <path=value>', 'override a scenario field (repeatable)', collect, [])
    .option('--out <file>', 'weights file to write (a .json file; replaced if it exists)', 'weights.json')
    .option('--json', 'print the fit quality and the weights as one JSON object on stdout')
    .action(calibrateCommand);
  program
    .command('schema')
    .description('print the JSON Schema of the scenario format (--host, --smp, --vcpu-experiment, --memory: of those formats)')
    .option('--host', 'the host scenario format (kind: host)')
    .option('--smp', 'the SMP scenario format (kind: smp)')
    .option('--vcpu-experiment', 'the vCPU experiment format (kind: vcpu-experiment)')
    .option('--memory', 'the guest-memory format (kind: memory)')
    .action(schemaCommand);
  const sweep = program
    .command('sweep')
    .enablePositionalOptions()
    .description('run a parameter grid × seeds in parallel (see docs/sweeps.md)')
    .argument('<sweep>', 'sweep file (YAML or JSON)')
    .option('--jobs <n>', 'worker threads (default: number of cores)', integer)
    .option('--shard <i/n>', 'run only shard i of n (0-based), e.g. from a Slurm array index')
    .option('--out <dir>', 'output directory (default: out/<sweep name>[-shard-i-of-n])')
    .option('--quiet', 'no progress output')
    .action(sweepCommand);
  sweep
    .command('merge')
    .description('combine the outputs of sweep shards into one results file')
    .argument('<dirs...>', 'shard output directories')
    .requiredOption('--out <dir>', 'merged output directory')
    .action(sweepMergeCommand);
  const migrate = program
    .command('migrate')
    // `migrate` and `migrate sweep` both have --json: options belong to the command they follow.
    .enablePositionalOptions()
    .description('simulate one live migration and print its figures (see docs/models/migration.md)')
    .option('--strategy <name>', 'precopy | postcopy | hybrid | stop-and-copy (default precopy)')
    .option('--ram-mib <n>', 'guest RAM, MiB (required)')
    .option('--used-mib <n>', 'RAM holding data, MiB; the rest is zero pages (default: all of it)')
    .option('--bandwidth-mbit <n>', 'link bandwidth, Mbit/s (required)')
    .option('--latency-ms <n>', 'one-way link latency, ms (default 0.1)')
    .option('--dirty-pages-per-s <n>', 'pages the guest writes per second (default 0)')
    .option('--hot-set-mib <n>', 'writable working set the writes fall in, MiB (default: the whole RAM)')
    .option('--pattern <name>', 'write pattern: uniform | hot-cold | zipf | sequential (default uniform)')
    .option('--hot-write-percent <n>', 'hot-cold: percent of writes in the hottest eighth of the hot set (default 90)')
    .option('--zipf-exponent <n>', 'zipf: exponent (default 0.99)')
    .option('--touch-pages-per-s <n>', 'pages each vCPU accesses per second after a post-copy switch (default: the dirty rate)')
    .option('--touch-locality <p>', 'probability an access is to the next page (default 0.5)')
    .option('--vcpus <n>', 'vCPUs (default 1)')
    .option('--downtime-limit-ms <n>', 'QEMU downtime-limit, ms (default 300)')
    .option('--max-bandwidth-mib-s <n>', 'QEMU max-bandwidth, MiB/s (default 128)')
    .option('--postcopy-max-bandwidth-mib-s <n>', 'QEMU max-postcopy-bandwidth, MiB/s (default: unlimited)')
    .option('--auto-converge', 'throttle the guest when pre-copy does not converge (QEMU: 20 %, +10 %, ≤ 99 %)')
    .option('--xbzrle-cache-mib <n>', 'XBZRLE delta compression with this cache size, MiB (default: off)')
    .option('--precache-mib <n>', 'post-copy/hybrid: pre-cache this much of the hot set before the switch, MiB')
    .option('--switch-after-s <n>', 'hybrid: switch to post-copy after this many seconds')
    .option('--switch-after-passes <n>', 'hybrid: switch to post-copy after this many passes')
    .option('--time-limit-s <n>', 'give up on a pre-copy that has not converged after this long (default 600)')
    .option('--on-time-limit <what>', 'abort (VM stays on the source) | stop-and-copy (default abort)')
    .option('--seed <n>', 'seed of the guest behaviour (default 1)')
    .option('--fail-at-s <s>', 'inject a failure this many seconds after the start')
    .option('--failure <what>', 'link | source | destination (default link)')
    .option('--link-back-after-s <s>', 'a failed link comes back after this long (default: never)')
    .option('--postcopy-recovery', 'post-copy pauses on a link failure and resumes when the link is back, instead of losing the VM')
    .option('--compat <model>', "simgrid: SimGrid 3.32's pre-copy model in its reference set-up")
    .option('--dirty-intensity <pct>', 'simgrid: dirty-page intensity, percent of the migration speed')
    .option('--idle', 'simgrid: the VM does not compute (so it dirties nothing)')
    .option('--json', 'print the figures as one JSON object on stdout')
    .action(migrateCommand);
  migrate
    .command('sweep')
    .description('run strategies × bandwidths × dirty rates × seeds of a migration-sweep file (see docs/migration-sweeps.md)')
    .argument('<file>', 'migration-sweep file (YAML or JSON)')
    .option('--out <dir>', 'output directory (default: out/<sweep name>)')
    .option('--json', 'print the results as one JSON object on stdout')
    .option('--quiet', 'no progress output')
    .action(migrateSweepCommand);
  program
    .command('compare')
    .description('run migration cases on QEMU and in the simulator and report the error of each figure (docs/qemu-backend.md)')
    .argument('<file>', 'migration-comparison file (kind: migration-compare)')
    .option('--set <path=value>', 'override a field (repeatable)', collect, [])
    .option('--out <dir>', 'output directory (default: out/<name>)')
    .option('--no-out', 'write no files')
    .option('--json', 'print the results as one JSON object on stdout')
    .action(compareCommand);
  program
    .command('agent')
    .description('run the node agent: QEMU VMs on this host behind an HTTP API with a bearer token, and Prometheus metrics (docs/qemu-backend.md)')
    .option('--port <n>', 'port to listen on', integer, 7420)
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--data <dir>', 'the store and the VMs\' run directories', 'hyperwatt-agent')
    .option('--token-file <file>', 'file holding the bearer token (default: $HYPERWATT_AGENT_TOKEN)')
    .option('--power <name>', "the host's power model, from the catalogue, for per-VM energy", 'hp-proliant-ml110-g5')
    .option('--cores <n>', "the host's cores (default: this machine's)", integer)
    .action(agentCommand);
  const guest = program.command('guest').description('the test guest of the QEMU backend');
  guest
    .command('build')
    .description('build the tiny test guest from Debian packages (kernel, busybox-static) and cache it')
    .option('--cache <dir>', 'where built guests are kept (default: $XDG_CACHE_HOME/hyperwatt or ~/.cache/hyperwatt)')
    .option('--kernel-package <name>', 'the kernel package (default: what linux-image-amd64 depends on)')
    .option('--force', 'build again even if a cached guest exists')
    .option('--json', 'print the paths as one JSON object on stdout')
    .action(guestBuildCommand);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander already printed its message; help and version exit with 0.
      return error.exitCode === 0 ? 0 : 2;
    }
    if (isUserError(error)) {
      process.stderr.write(`hyperwatt: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

// `hyperwatt run … | head` closes stdout early: that is the reader's choice, not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`hyperwatt: internal error (a bug; please report it):\n${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  },
);
