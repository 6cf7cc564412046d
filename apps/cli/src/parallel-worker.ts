/**
 * Entry point of one data-parallel worker thread (built to dist/parallel-worker.js, started by
 * ./parallel/launch.ts): the generic worker of ./parallel/worker.ts, given the jobs of the
 * commands that run on several devices.
 */
import { parallelJobs } from './commands/parallel-jobs.js';
import { runWorker } from './parallel/worker.js';

void runWorker(parallelJobs);
