import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng, totalTrainSteps, writeNpy } from '@trm/datasets';
import { createEvaluators } from '@trm/evaluators';
import {
  type ActCarry,
  checkpointBudget,
  drawExploration,
  type ExplorationDraws,
  loadWeightsInto,
  readModelCheckpoint,
  type StepResult,
  TinyRecursiveModel,
} from '@trm/model';
import { AdamATan2, cosineWithWarmup, Ema, SparseSignSGD } from '@trm/optim';
import { type Device, tensor } from '@trm/tensor';
import type { CliIO } from '../cli/types.js';
import type { TrainConfig } from '../config/schema.js';
import { toYaml } from '../config/yaml.js';
import { CliError, InputError } from '../errors.js';
import { GradientSync } from '../parallel/grad-sync.js';
import type { ParallelRank } from '../parallel/protocol.js';
import { isHubFileId } from '../util/hub-id.js';
import { createProgress } from '../util/progress.js';
import { latestResumePoint, saveTrainingCheckpoint, type TrainingState } from './checkpoints.js';
import { evaluateModel, SAVABLE_OUTPUTS, type SavableOutput } from './evaluate.js';
import { fetchHubCheckpoint, fitError } from './load-model.js';
import {
  checkModelFits,
  createLoaders,
  createModel,
  modelConfig,
  openDevice,
} from './model-setup.js';
import { withRunNames } from './names.js';
import { TrainProgress } from './progress-line.js';
import { clearRunFiles } from './run-dir.js';
import { RunLog } from './run-log.js';
import { createWandbSink } from './wandb.js';

/** Options of {@link train} besides the config. */
export interface TrainOptions {
  io: CliIO;
  /** Run directory to resume from (`--resume`). */
  resume?: string;
  /** `--overwrite`: remove the previous run's files from the run directory before writing. */
  overwrite?: boolean;
  /** Log to W&B even without WANDB_API_KEY (`logger=wandb`). */
  wandb?: boolean;
  /** Stop after this many optimiser steps (tests; a kill-test stand-in). */
  maxSteps?: number;
  /** This process is one rank of a data-parallel run (`trm train --devices N`). */
  parallel?: ParallelRank;
  /** Dawn adapter name of the single device (`--devices 1,`); default adapter otherwise. */
  adapterName?: string;
}

/** What a finished run reports. */
export interface TrainSummary {
  runDir: string;
  steps: number;
  checkpoints: string[];
  lastEval: Record<string, number> | null;
  /** Test-split size, for the Wilson intervals of the final evaluation. */
  testPuzzles: number;
  seqLen: number;
  seconds: number;
  /** Data-parallel runs: mean time of the gradient all-reduce per step, in milliseconds. */
  allReduce?: { devices: number; meanMs: number; meanReduceMs: number };
}

/**
 * The training loop of spec §8: `epochs / eval_interval` iterations, each one pass of the
 * shuffled data (`eval_interval` epochs); after each iteration from `min_eval_interval` on, an
 * evaluation and a checkpoint (always after the last). The ACT carry persists from batch to
 * batch within an iteration and starts fresh at every iteration boundary, so a run resumed
 * from a checkpoint continues exactly as the uninterrupted run does.
 */
export async function train(config: TrainConfig, options: TrainOptions): Promise<TrainSummary> {
  const { io } = options;
  const started = Date.now();
  const resolve = (p: string) => (p.startsWith('/') ? p : join(io.cwd, p));
  const gbs = config.global_batch_size;
  const evalInterval = config.eval_interval ?? config.epochs;
  const iterations = Math.max(1, Math.floor(config.epochs / evalInterval));
  const comm = options.parallel?.comm;
  const world = comm?.worldSize ?? 1;
  const rank = comm?.rank ?? 0;
  const isRoot = rank === 0;
  const localBatch = gbs / world;

  const device: Device = await openDevice(options.parallel?.adapterName ?? options.adapterName);
  const sync = comm ? new GradientSync(comm) : null;
  try {
    const { train: trainData, test: testData } = createLoaders({
      dataPaths: config.data_paths.map(resolve),
      testPaths: config.data_paths_test.map(resolve),
      globalBatchSize: gbs,
      seed: config.seed,
      epochsPerIter: evalInterval,
      rank,
      numReplicas: world,
    });
    const trainSet = trainData!;
    // Every array is read and checked now, before the model is built or anything is written.
    trainSet.preload();
    testData.preload();
    const metadata = trainSet.metadata;
    const totalSteps = totalTrainSteps(metadata, config.epochs, gbs);
    if (totalSteps < 1) {
      throw new InputError(
        `The run would take no optimiser step: ${config.epochs} epochs × ${metadata.total_groups} groups × ${metadata.mean_puzzle_examples} examples / global_batch_size ${gbs} < 1. Lower global_batch_size or raise epochs.`,
      );
    }
    const archConfig = modelConfig(config.arch, metadata, localBatch);
    checkModelFits(archConfig, device);
    const model = createModel(archConfig, config.seed);
    const planned = plannedSteps(metadata, iterations, evalInterval, gbs) ?? totalSteps;

    // Run directory and names (the reference's defaults), fixed in all_config.yaml.
    const resolvedConfig = withRunNames(config);
    const project = resolvedConfig.project_name!;
    const run = resolvedConfig.run_name!;
    const runDir = options.resume ?? resolve(resolvedConfig.checkpoint_path!);

    // Optimisers: AdamATan2 on every trainable parameter, sign-SGD on the puzzle table.
    const params = model.namedParameters();
    const adam = config.freeze_weights
      ? null
      : new AdamATan2(params, {
          beta1: config.beta1,
          beta2: config.beta2,
          weightDecay: config.weight_decay,
        });
    const puzzleEmb = model.inner.puzzleEmb;
    const signSgd = puzzleEmb
      ? new SparseSignSGD(puzzleEmb.weights, { weightDecay: config.puzzle_emb_weight_decay })
      : null;
    const lrAt = cosineWithWarmup({
      base: config.lr,
      warmupSteps: config.lr_warmup_steps,
      totalSteps,
      minRatio: config.lr_min_ratio,
    });
    const puzzleLrAt = cosineWithWarmup({
      base: config.puzzle_emb_lr,
      warmupSteps: config.lr_warmup_steps,
      totalSteps,
      minRatio: config.lr_min_ratio,
    });

    let step = 0;
    let firstIteration = 0;
    let ema: Ema | null = null;

    if (options.resume) {
      const skipped: string[] = [];
      const point = await latestResumePoint(runDir, skipped, checkpointBudget(model));
      for (const s of skipped) io.stderr.write(`warning: skipping unreadable checkpoint ${s}\n`);
      if (!point)
        throw new InputError(
          `--resume ${runDir}: no complete checkpoint (step_<N>.safetensors with its .state file) to resume from.`,
        );
      const raw = point.state.rawWeights;
      loadWeightsInto(model, point.weights.weights);
      if (raw) {
        for (const [name, p] of params) if (raw[name]) p.assign(raw[name]!);
      }
      if (adam && point.state.adam) adam.loadStateDict(point.state.adam);
      step = point.state.step;
      firstIteration = point.state.iteration;
      trainSet.iteration = point.state.loaderIteration;
      if (config.ema) {
        ema = new Ema(params, config.ema_rate);
        if (point.state.ema) ema.loadStateDict(point.state.ema);
      }
      io.stderr.write(
        `resuming ${runDir} at step ${step} (iteration ${firstIteration} of ${iterations})\n`,
      );
    } else if (config.load_checkpoint) {
      const path = isHubFileId(config.load_checkpoint, io.cwd)
        ? await fetchHubCheckpoint(config.load_checkpoint, io)
        : resolve(config.load_checkpoint);
      const ckpt = await readModelCheckpoint(path, {
        maxTensorBytes: checkpointBudget(model),
      });
      try {
        loadWeightsInto(model, ckpt.weights);
      } catch (error) {
        throw fitError(error, path, metadata, config.data_paths[0] ?? '');
      }
      io.stderr.write(`initialised from ${config.load_checkpoint}\n`);
    }

    const evaluators = createEvaluators(config.evaluators as never, {
      datasetDir: resolve((config.data_paths_test[0] ?? config.data_paths[0])!),
      metadata: testData.metadata,
    });

    // Every input is valid: now the run directory may be written. Rank 0 owns it: logs,
    // charts, evaluation outputs and checkpoints.
    let log: RunLog | null = null;
    if (isRoot) {
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
          toYaml(resolvedConfig, `trm train — ${project} / ${run}`),
        );
      log = new RunLog(runDir);
      if (options.resume) log.truncateAfter(step);
    }
    // Every replica starts from rank 0's weights (spec §7–8).
    if (sync) await sync.broadcastFromRoot(params.map(([, p]) => p));
    if (config.ema && !ema) ema = new Ema(params, config.ema_rate);

    const paramCount = model.parameterCount();
    const where = device.adapterInfo.description || device.adapterInfo.device;
    io.stderr.write(
      `training ${project} / ${run}: ${paramCount.toLocaleString('en-US')} parameters, ${planned} steps${planned === totalSteps ? '' : ` (the learning-rate schedule spans ${totalSteps}, as the reference counts them)`}, batch ${gbs}${world > 1 ? ` (${localBatch} on each of ${world} devices)` : ''}, ${iterations} evaluation interval${iterations === 1 ? '' : 's'} on ${where}\n  run directory ${runDir}\n`,
    );
    if (!options.resume) log?.append(0, { num_params: paramCount });
    const sink = isRoot
      ? await createWandbSink({
          io,
          requested: options.wandb ?? false,
          project,
          run,
          config: { ...resolvedConfig, num_params: paramCount } as Record<string, unknown>,
        })
      : null;
    sink?.log(0, { num_params: paramCount });

    const progress = new TrainProgress(io.stderr, planned, step);
    // Known when each test puzzle is one example (Sudoku, Maze); ARC puzzles have several.
    const evalBatches =
      testData.metadata.mean_puzzle_examples === 1
        ? Math.max(1, Math.ceil(testData.metadata.total_puzzles / gbs))
        : undefined;
    const checkpoints: string[] = [];
    let lastEval: Record<string, number> | null = null;
    const stopAt =
      options.maxSteps === undefined ? totalSteps : Math.min(totalSteps, options.maxSteps);

    let shownAccuracy = 0;
    let chartsDrawn = Date.now();
    let allReduceMs = 0;
    let reduceMs = 0;
    let syncedSteps = 0;
    const explores = model.training && model.config.halt_max_steps > 1;
    const failRank = io.env.TRM_TEST_FAIL_RANK;
    for (let it = firstIteration; it < iterations && step < stopAt; it++) {
      // Exploration draws for this iteration, seeded so a resumed run redraws the same ones.
      const explore = new Rng(config.seed * 1_000_003 + it, 7);
      let carry: ActCarry = model.initialCarry(localBatch);
      for (const { batch } of trainSet.iterTrain()) {
        if (step >= stopAt) break;
        step += 1;
        // Test hooks: make one rank fail, by throwing or by losing its device.
        if (failRank === String(rank) && step >= Number(io.env.TRM_TEST_FAIL_STEP ?? 1)) {
          if (io.env.TRM_TEST_FAIL_MODE === 'lose-device') device.destroy();
          else throw new Error(`injected failure (TRM_TEST_FAIL_RANK=${rank}) at step ${step}`);
        }
        // Draws for the whole global batch, of which this rank keeps its rows: every rank
        // then halts exactly as one device running the global batch would.
        const exploration = explores
          ? sliceDraws(
              drawExploration(model.config, gbs, () => explore.nextFloat()),
              rank * localBatch,
              localBatch,
            )
          : undefined;
        const r = await model.step(carry, batch, {
          backward: !config.freeze_weights || puzzleEmb !== null,
          lossScale: 1 / gbs,
          ...(exploration ? { exploration } : {}),
        });
        carry = r.carry;
        const m = sync ? await sumOverRanks(comm!, r) : { ...r.metrics, loss: r.loss };
        if (sync) {
          await sync.allReduceGradients(params.map(([, p]) => p));
          allReduceMs += sync.last.totalMs;
          reduceMs += sync.last.reduceMs;
          syncedSteps += 1;
        }
        const lr = lrAt(step);
        if (adam) adam.step(lr);
        const sparse = signSgd ? puzzleEmb?.sparseGrad() : null;
        if (signSgd && sparse) {
          if (comm) {
            // The sparse step sees the ids and gradient rows of every rank.
            const ids = await comm.allGather(sparse.ids);
            const local = (await sparse.rows.data()) as Float32Array;
            const rows = tensor(await comm.allGather(local), {
              shape: [ids.length, sparse.rows.shape[1]!],
              device,
            });
            signSgd.step({ ids, rows }, puzzleLrAt(step));
            rows.dispose();
          } else {
            signSgd.step(sparse, puzzleLrAt(step));
          }
        }
        ema?.update();
        model.zeroGrad();
        // Accuracies are over the rows that halted: a step where none did has none (logged as
        // absent, so charts show a gap rather than a drop to zero).
        const perRow = (v: number) => (m.count > 0 ? { v: v / m.count } : null);
        const metrics: Record<string, number> = { 'train/count': m.count };
        for (const [key, v] of [
          ['train/accuracy', m.accuracy],
          ['train/exact_accuracy', m.exact_accuracy],
          ['train/q_halt_accuracy', m.q_halt_accuracy],
          ['train/steps', m.steps],
        ] as const) {
          const r = perRow(v);
          if (r) metrics[key] = r.v;
        }
        Object.assign(metrics, {
          'train/lm_loss': m.lm_loss / gbs,
          'train/q_halt_loss': m.q_halt_loss / gbs,
          'train/lr': lr,
        });
        if (m.q_continue_loss !== undefined)
          metrics['train/q_continue_loss'] = m.q_continue_loss / gbs;
        if (sync) metrics['train/allreduce_ms'] = sync.last.totalMs;
        if (!Number.isFinite(m.loss)) {
          throw new CliError(
            `Training diverged at step ${step}: the loss is ${m.loss}. Lower lr (now ${config.lr}) or check the data.`,
            { exitCode: 1 },
          );
        }
        log?.append(step, metrics);
        sink?.log(step, metrics);
        if (log && Date.now() - chartsDrawn >= CHART_REDRAW_MS) {
          chartsDrawn = Date.now();
          redrawCharts(log, progress);
        }
        // Accuracy counts halted rows only; keep the last step that had some, for the display.
        if (m.count > 0) shownAccuracy = metrics['train/accuracy']!;
        progress.update(step, { loss: metrics['train/lm_loss']!, accuracy: shownAccuracy, lr });
      }
      TinyRecursiveModel.disposeCarry(carry);
      const finishedIteration = it + 1 === iterations || step >= totalSteps;
      if (step >= stopAt && !finishedIteration && options.maxSteps !== undefined) break;

      // Evaluation and checkpoint, with the EMA weights swapped in (spec §7).
      const doEval = it >= config.min_eval_interval;
      const doSave = doEval ? config.checkpoint_every_eval || finishedIteration : finishedIteration;
      let rawWeights: Record<string, Float32Array> | null = null;
      if (ema && (doEval || doSave)) {
        rawWeights = {};
        for (const [name, p] of params) rawWeights[name] = (await p.data()) as Float32Array;
        ema.copyTo(params);
      }
      if (doEval) {
        const save = config.eval_save_outputs.filter((k): k is SavableOutput =>
          (SAVABLE_OUTPUTS as readonly string[]).includes(k),
        );
        // In a log (no terminal) a short evaluation prints only its final line.
        const evalBar = isRoot
          ? createProgress(io.stderr, `evaluating step ${step}`, {
              lineStep: 0.25,
              quietMs: 10_000,
            })
          : null;
        progress.pause();
        const result = await evaluateModel(model, testData, {
          evaluators,
          globalBatchSize: gbs,
          save,
          saveDir: join(runDir, `eval_step_${step}`),
          onBatch: (done) => evalBar?.update(done, evalBatches),
          ...(comm ? { comm } : {}),
        });
        evalBar?.finish();
        if (isRoot && save.length > 0) {
          const dir = join(runDir, `eval_step_${step}`);
          mkdirSync(dir, { recursive: true });
          for (const [key, { data, shape }] of result.outputs)
            writeNpy(join(dir, `${key}.npy`), data, shape);
        }
        lastEval = result.metrics;
        log?.append(step, result.metrics);
        sink?.log(step, result.metrics);
        const parts = Object.entries(result.metrics).map(([k, v]) => `${k} ${v.toFixed(4)}`);
        progress.note(`eval @ step ${step}: ${parts.join(', ')}`);
      }
      if (doSave && isRoot) {
        const state: TrainingState = {
          step,
          iteration: it + 1,
          loaderIteration: trainSet.iteration,
          adam: adam ? await adam.stateDict() : null,
          ema: ema ? await ema.stateDict() : null,
          rawWeights,
        };
        const path = await saveTrainingCheckpoint(runDir, model, state, { project, run });
        checkpoints.push(path);
        progress.note(`checkpoint ${path}`);
      }
      // Charts come after the checkpoint, and a chart that cannot be drawn only warns: the
      // log is for the user, it must never cost the run.
      if (doEval && log) {
        chartsDrawn = Date.now();
        redrawCharts(log, progress);
      }
      if (rawWeights) for (const [name, p] of params) p.assign(rawWeights[name]!);
    }
    progress.finish();
    if (log) redrawCharts(log, progress);
    await sink?.finish();
    return {
      runDir,
      steps: step,
      checkpoints,
      lastEval,
      testPuzzles: testData.metadata.total_puzzles,
      seqLen: testData.metadata.seq_len,
      seconds: (Date.now() - started) / 1000,
      ...(syncedSteps > 0
        ? {
            allReduce: {
              devices: world,
              meanMs: allReduceMs / syncedSteps,
              meanReduceMs: reduceMs / syncedSteps,
            },
          }
        : {}),
    };
  } finally {
    // Settle outstanding GPU work (and its error-scope promises) before the device goes away.
    await device.sync().catch(() => undefined);
    device.destroy();
  }
}

/**
 * The optimiser steps the run will take, when the data makes it exact: one example per group
 * and pick (Sudoku, Maze), so each iteration has floor(groups × epochs per iteration / batch)
 * full batches. The reference's schedule length (epochs × groups / batch) can be a few steps
 * more, because every iteration drops its last partial batch. Undefined for datasets whose
 * batches depend on which puzzles are drawn (ARC).
 */
export function plannedSteps(
  metadata: { mean_puzzle_examples: number; total_puzzles: number; total_groups: number },
  iterations: number,
  epochsPerIteration: number,
  globalBatchSize: number,
): number | undefined {
  if (metadata.mean_puzzle_examples !== 1 || metadata.total_puzzles !== metadata.total_groups)
    return undefined;
  return iterations * Math.floor((metadata.total_groups * epochsPerIteration) / globalBatchSize);
}

/** Charts are also redrawn this often during training, not only at evaluations. */
const CHART_REDRAW_MS = 60_000;

/** Redraws the run's charts; a chart that cannot be drawn only warns (it must not cost the run). */
function redrawCharts(log: RunLog, progress: TrainProgress): void {
  try {
    log.writeCharts();
  } catch (error) {
    progress.note(`warning: could not draw the charts: ${(error as Error).message}`);
  }
}

/** Rows `[start, start + rows)` of a step's exploration draws. */
function sliceDraws(draws: ExplorationDraws, start: number, rows: number): ExplorationDraws {
  return {
    explore: draws.explore.slice(start, start + rows),
    minHalt: draws.minHalt.slice(start, start + rows),
  };
}

/** The step's metric sums and loss, summed over all ranks. */
async function sumOverRanks(
  comm: NonNullable<ParallelRank['comm']>,
  r: { loss: number; metrics: StepResult['metrics'] },
): Promise<StepResult['metrics'] & { loss: number }> {
  const m = r.metrics;
  const hasContinue = m.q_continue_loss !== undefined;
  const v = await comm.allReduceSum(
    Float64Array.of(
      m.count,
      m.accuracy,
      m.exact_accuracy,
      m.q_halt_accuracy,
      m.steps,
      m.lm_loss,
      m.q_halt_loss,
      m.q_continue_loss ?? 0,
      r.loss,
    ),
  );
  return {
    count: v[0]!,
    accuracy: v[1]!,
    exact_accuracy: v[2]!,
    q_halt_accuracy: v[3]!,
    steps: v[4]!,
    lm_loss: v[5]!,
    q_halt_loss: v[6]!,
    ...(hasContinue ? { q_continue_loss: v[7]! } : {}),
    loss: v[8]!,
  };
}
