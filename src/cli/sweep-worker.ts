/**
 * Worker thread for `hyperwatt sweep`: receives jobs (data-center or host scenarios), runs them, posts summaries
 * back. One module instance per thread, so runs share nothing.
 */
import { parentPort } from 'node:worker_threads';
import { runScenario } from '../backends/simulator/run.js';
import { isUserError } from '../util/user-error.js';
import { loadAnyScenario } from './load-scenario.js';
import type { SweepJob } from '../scenario/sweep.js';

parentPort!.on('message', async (job: SweepJob) => {
  try {
    const loaded = await loadAnyScenario(job.scenarioFile, { sets: job.sets, seed: job.seed, seedForDataCenterOnly: true });
    if (loaded.kind === 'host') {
      const { runHostScenario } = await import('../backends/simulator/host-run.js');
      parentPort!.postMessage({ index: job.index, summary: runHostScenario(loaded.scenario, job.scenarioFile).summary });
      return;
    }
    if (loaded.kind !== 'datacenter') throw new Error(`${job.scenarioFile}: ${loaded.kind} scenarios are not swept (hyperwatt sweep refuses them before starting)`);
    const result = runScenario(loaded.scenario, job.scenarioFile);
    parentPort!.postMessage({ index: job.index, summary: result.summary });
  } catch (error) {
    parentPort!.postMessage({
      index: job.index,
      error: error instanceof Error ? (isUserError(error) ? error.message : (error.stack ?? error.message)) : String(error),
      userError: isUserError(error),
    });
  }
});
