/**
 * Worker thread for `hyperwatt sweep`: receives jobs, runs them, posts summaries back. One module instance per
 * thread, so runs share nothing.
 */
import { parentPort } from 'node:worker_threads';
import { runScenario } from '../backends/simulator/run.js';
import { isUserError } from '../util/user-error.js';
import { loadScenario } from './load-scenario.js';
import type { SweepJob } from '../scenario/sweep.js';

parentPort!.on('message', (job: SweepJob) => {
  try {
    const scenario = loadScenario(job.scenarioFile, { sets: job.sets, seed: job.seed });
    const result = runScenario(scenario, job.scenarioFile);
    parentPort!.postMessage({ index: job.index, summary: result.summary });
  } catch (error) {
    parentPort!.postMessage({
      index: job.index,
      error: error instanceof Error ? (isUserError(error) ? error.message : (error.stack ?? error.message)) : String(error),
      userError: isUserError(error),
    });
  }
});
