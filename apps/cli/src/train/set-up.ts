import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Device } from '@trm/tensor';
import type { CliIO } from '../cli/types.js';
import type { TrainConfig } from '../config/schema.js';
import { toYaml } from '../config/yaml.js';
import type { GradientSync } from '../parallel/grad-sync.js';
import type { ParallelRank } from '../parallel/protocol.js';
import { createDatasetEvaluators, testPuzzlesBySet } from './dataset-evaluators.js';
import { BestCheckpoints, checkMetricName } from './keep-best.js';
import {
  checkModelFits,
  createLoaders,
  createModel,
  modelConfig,
  modelPrecision,
} from './model-setup.js';
import { withRunNames } from './names.js';
import { createEma, createOptimizers } from './optimizers.js';
import { TrainProgress } from './progress-line.js';
import { loadInitialWeights, resumeRun, type StartPoint } from './run-checkpoint.js';
import { clearRunFiles } from './run-dir.js';
import { RunLog } from './run-log.js';
import { RunOutput } from './run-output.js';
import { epochsPerIteration, type RunSchedule, runSchedule } from './schedule.js';
import type { RunTopology, TrainOptions, TrainRun } from './train-run.js';
import { createWandbSink } from './wandb.js';

/**
 * Everything before the first step, in the order that keeps a bad input from costing
 * anything: the data is read and checked, the schedule and the model fixed, the optimisers
 * made and the weights restored (`--resume`) or loaded (`load_checkpoint`); only then is the
 * run directory written (by rank 0), the replicas aligned on rank 0's weights, and the run
 * announced. `sync` is the gradient all-reduce of a data-parallel run (null on one device).
 */
export async function setUpRun(
  config: TrainConfig,
  options: TrainOptions,
  device: Device,
  sync: GradientSync | null,
): Promise<TrainRun> {
  const { io } = options;
  const resolve = (p: string) => (p.startsWith('/') ? p : join(io.cwd, p));
  const topology = runTopology(config, options.parallel, sync);

  const { train: trainData, test: testSet } = createLoaders({
    dataPaths: config.data_paths.map(resolve),
    testPaths: config.data_paths_test.map(resolve),
    globalBatchSize: topology.globalBatch,
    seed: config.seed,
    epochsPerIter: epochsPerIteration(config),
    rank: topology.rank,
    numReplicas: topology.world,
  });
  const trainSet = trainData!;
  // Every array is read and checked now, before the model is built or anything is written.
  trainSet.preload();
  testSet.preload();
  const metadata = trainSet.metadata;
  const testPaths = config.data_paths_test.length > 0 ? config.data_paths_test : config.data_paths;
  const testDirs = testPaths.map(resolve);
  const evaluators = createDatasetEvaluators(config.evaluators, {
    datasetDirs: testDirs,
    metadata: testSet.metadata,
    ...(topology.isRoot ? { note: (line: string) => io.stderr.write(`${line}\n`) } : {}),
  });
  const schedule = options.schedule ?? runSchedule(config, metadata, options.maxSteps);
  const archConfig = modelConfig(config.arch, metadata, topology.localBatch);
  checkModelFits(archConfig, device);
  const precision = modelPrecision(archConfig, device);
  if (precision.notice && topology.isRoot) io.stderr.write(`${precision.notice}\n`);
  const model = createModel(archConfig, config.seed, precision.precision);

  // Run directory and names (the reference's defaults), fixed in all_config.yaml.
  const resolvedConfig = withRunNames(config);
  const names = { project: resolvedConfig.project_name!, run: resolvedConfig.run_name! };
  const runDir = options.resume ?? resolve(resolvedConfig.checkpoint_path!);

  const optimizers = createOptimizers(model, config, schedule.totalSteps, {
    firstPuzzleRow: options.firstPuzzleRow ?? 0,
  });
  let start: StartPoint = { step: 0, firstIteration: 0 };
  if (options.resume) {
    start = await resumeRun({
      io,
      model,
      optimizers,
      trainSet,
      config,
      runDir,
      iterations: schedule.iterations,
    });
  } else if (options.initialWeights) {
    await options.initialWeights(model);
  } else if (config.load_checkpoint) {
    await loadInitialWeights({ io, model, config, metadata, resolve });
  }

  checkMetricName(
    config,
    testSet.metadata.sets,
    evaluators.map((e) => e.name),
  );
  const best = topology.isRoot ? BestCheckpoints.forRun(config, runDir) : null;
  if (options.resume) best?.resume(start.step);

  // Every input is valid: now the run directory may be written. Rank 0 owns it: logs,
  // charts, evaluation outputs and checkpoints.
  const log = topology.isRoot
    ? openRunDir(runDir, { io, options, config: resolvedConfig, names, step: start.step })
    : null;
  // Every replica starts from rank 0's weights (spec §7–8).
  const { params } = optimizers;
  if (sync) await sync.broadcastFromRoot(params.map(([, p]) => p));
  if (config.ema && !optimizers.ema) optimizers.ema = createEma(optimizers, config);

  const paramCount = model.parameterCount();
  const where = device.adapterInfo.description || device.adapterInfo.device;
  io.stderr.write(announcement({ names, paramCount, schedule, topology, where, runDir }));
  if (!options.resume) log?.append(0, { num_params: paramCount });
  const sink = topology.isRoot
    ? await createWandbSink({
        io,
        requested: options.wandb ?? false,
        project: names.project,
        run: names.run,
        config: { ...resolvedConfig, num_params: paramCount } as Record<string, unknown>,
      })
    : null;
  sink?.log(0, { num_params: paramCount });
  const progress = new TrainProgress(io.stderr, schedule.planned, start.step);

  const testMeta = testSet.metadata;
  return {
    config,
    io,
    device,
    topology,
    schedule,
    trainSet,
    testSet,
    evaluators,
    ...(testDirs.length > 1 ? { testPuzzlesBySet: testPuzzlesBySet(testDirs) } : {}),
    // Known when each test puzzle is one example (Sudoku, Maze); ARC puzzles have several.
    evalBatches:
      testMeta.mean_puzzle_examples === 1
        ? Math.max(1, Math.ceil(testMeta.total_puzzles / topology.globalBatch))
        : undefined,
    model,
    explores: model.training && model.config.halt_max_steps > 1,
    optimizers,
    runDir,
    names,
    output: new RunOutput(progress, log, sink),
    step: start.step,
    firstIteration: start.firstIteration,
    checkpoints: [],
    lastEval: null,
    best,
    stopped: null,
    allReduce: { totalMs: 0, reduceMs: 0, steps: 0 },
  };
}

/** This process's place in the run: its rank, the world size and its share of the batch. */
function runTopology(
  config: TrainConfig,
  parallel: ParallelRank | undefined,
  sync: GradientSync | null,
): RunTopology {
  const comm = parallel?.comm;
  const world = comm?.worldSize ?? 1;
  const rank = comm?.rank ?? 0;
  const gbs = config.global_batch_size;
  return { rank, world, isRoot: rank === 0, globalBatch: gbs, localBatch: gbs / world, comm, sync };
}

/**
 * Prepares the run directory (rank 0): clears a previous run's files for `--overwrite`, writes
 * the resolved config of a new run to all_config.yaml, and opens the metric log (rewound to
 * the checkpoint's step when resuming).
 */
function openRunDir(
  runDir: string,
  args: {
    io: CliIO;
    options: TrainOptions;
    config: TrainConfig;
    names: TrainRun['names'];
    step: number;
  },
): RunLog {
  const { io, options, names } = args;
  if (options.overwrite && !options.resume) {
    const removed = clearRunFiles(runDir);
    if (removed.length > 0)
      io.stderr.write(
        `--overwrite: removed the previous run's ${removed.join(', ')} from ${runDir}\n`,
      );
  }
  mkdirSync(runDir, { recursive: true });
  if (!options.resume)
    writeFileSync(
      join(runDir, 'all_config.yaml'),
      toYaml(args.config, `trm train — ${names.project} / ${names.run}`),
    );
  const log = new RunLog(runDir);
  if (options.resume) log.truncateAfter(args.step);
  return log;
}

/** The line that opens a run: what is trained, for how long, on what, and where it is saved. */
function announcement(args: {
  names: TrainRun['names'];
  paramCount: number;
  schedule: RunSchedule;
  topology: RunTopology;
  where: string;
  runDir: string;
}): string {
  const { names, paramCount, schedule, topology, where, runDir } = args;
  const { planned, totalSteps, iterations } = schedule;
  const { globalBatch: gbs, localBatch, world } = topology;
  return `training ${names.project} / ${names.run}: ${paramCount.toLocaleString('en-US')} parameters, ${planned} steps${planned === totalSteps ? '' : ` (the learning-rate schedule spans ${totalSteps}, as the reference counts them)`}, batch ${gbs}${world > 1 ? ` (${localBatch} on each of ${world} devices)` : ''}, ${iterations} evaluation interval${iterations === 1 ? '' : 's'} on ${where}\n  run directory ${runDir}\n`;
}
