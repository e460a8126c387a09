/** `hyperwatt run`: one scenario, summary to the terminal, files to the output directory. */
import { runScenario } from '../backends/simulator/run.js';
import type { RunSummary } from '../metrics/run-result.js';
import { loadScenario } from './load-scenario.js';
import { writeRunOutput } from './output.js';
import { checkOutputDirectory } from '../util/atomic-output.js';
import { createProgress } from './progress.js';

interface RunFlags {
  set: string[];
  seed?: number;
  out?: string | false;
  json?: boolean;
  quiet?: boolean;
}

export async function runCommand(file: string, flags: RunFlags): Promise<void> {
  const scenario = loadScenario(file, { sets: flags.set, seed: flags.seed });
  const outDir = flags.out === false ? undefined : (flags.out ?? `out/${scenario.name}`);
  // Refuse an unusable output directory before spending time on the run.
  if (outDir) await checkOutputDirectory(outDir);
  const progress = createProgress(process.stderr, flags.quiet || flags.json);
  // Progress in simulated hours (a bar on a terminal, a line per 10 % otherwise).
  const hours = Math.round(scenario.durationSeconds / 3600);
  progress.update(0, hours, `h simulated, ${scenario.name}`);
  const result = runScenario(scenario, file, {
    onProgress: (fraction) => progress.update(Math.round(fraction * hours), hours, `h simulated, ${scenario.name}`),
  });
  progress.update(hours, hours, `h simulated, ${scenario.name}`);
  progress.finish();
  for (const warning of result.warnings ?? []) process.stderr.write(`hyperwatt: warning: ${scenario.name}: ${warning}\n`);
  if (outDir) await writeRunOutput(outDir, scenario, result);
  if (flags.json) {
    // process_cpu_seconds: user + system CPU of this whole process so far (start-up, loading, run, output),
    // the figure the benchmarks compare with CloudSim's JVM user time.
    const cpu = process.cpuUsage();
    const usage = process.resourceUsage();
    process.stdout.write(
      `${JSON.stringify({ ...result.summary, process_cpu_seconds: (cpu.user + cpu.system) / 1e6, max_rss_mib: usage.maxRSS / 1024 })}\n`,
    );
  } else {
    process.stdout.write(formatSummary(result.summary));
    if (outDir) process.stdout.write(`\nwrote ${outDir}/ (summary.json, datacenter.csv, hosts.csv, report.html)\n`);
  }
}

const percent = (x: number): string => `${(x * 100).toFixed(5).replace(/0+$/, '').replace(/\.$/, '')} %`;

export function formatSummary(s: RunSummary): string {
  const rows: [string, string][] = [
    ['scenario', `${s.scenario} (${s.mode}, seed ${s.seed})`],
    ['hosts / VMs', `${s.hosts} / ${s.vms}`],
    ['energy', `${s.energy_kwh.toFixed(2)} kWh`],
    ['migrations', String(s.migrations)],
    ['SLATAH', percent(s.slatah)],
    ['PDM', percent(s.pdm)],
    ['SLAV', percent(s.slav)],
    ['ESV', s.esv.toPrecision(4)],
    ['overall SLA violation', percent(s.overall_sla_violation)],
    ['average SLA violation', percent(s.average_sla_violation)],
    ['host shutdowns', String(s.host_shutdowns)],
    ['mean migration time', Number.isNaN(s.mean_migration_time_s) ? '–' : `${s.mean_migration_time_s.toFixed(2)} s`],
    ['simulated', `${s.sim_seconds} s, ${s.events} events`],
    ['wall time', `${s.wall_seconds.toFixed(3)} s`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}\n`).join('');
}
