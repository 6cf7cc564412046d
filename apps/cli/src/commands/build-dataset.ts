import { existsSync, statSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import {
  type BuildProgress,
  type BuildResult,
  buildArcDataset,
  buildMazeDataset,
  buildSudokuDataset,
  type CsvSource,
  isHubRepoId,
} from '@trm/datasets';
import type { CliIO, CommandContext } from '../cli/types.js';
import { InputError } from '../errors.js';
import { cliHubOptions } from '../util/hub.js';
import { createProgress, type Progress } from '../util/progress.js';
import { bool, checkOutputFree, int, plural, resolvePath, str } from './common.js';

/**
 * Interprets `--source`: a directory with train.csv and test.csv, a pair `TRAIN.csv,TEST.csv`,
 * or a hub dataset id. A missing local path is an {@link InputError} rather than a download
 * attempt when it cannot be a hub id or its first directory exists locally.
 */
export function parseSource(io: CliIO, source: string): CsvSource {
  if (source.includes(',')) {
    const parts = source.split(',').map((s) => s.trim());
    if (parts.length !== 2 || parts.some((p) => p === '')) {
      throw new InputError(
        `--source ${source}: expected exactly two CSV files, TRAIN.csv,TEST.csv.`,
      );
    }
    const [train, test] = parts.map((p) => resolvePath(io, p)) as [string, string];
    for (const p of [train, test])
      if (!existsSync(p))
        throw new InputError(`--source: CSV file ${p} does not exist.`, { file: p });
    return { train, test };
  }
  const local = resolvePath(io, source);
  if (existsSync(local)) {
    if (statSync(local).isDirectory()) {
      for (const f of ['train.csv', 'test.csv']) {
        if (!existsSync(`${local}/${f}`)) {
          throw new InputError(
            `--source ${source}: the directory has no ${f} (it needs train.csv and test.csv).`,
            { file: local },
          );
        }
      }
      return local;
    }
    throw new InputError(
      `--source ${source} is a single file; give the directory holding train.csv and test.csv, or both files as TRAIN.csv,TEST.csv.`,
      { file: local },
    );
  }
  const firstDir = source.split('/')[0]!;
  const looksLocal =
    isAbsolute(source) ||
    source.startsWith('.') ||
    source.endsWith('.csv') ||
    !isHubRepoId(source) ||
    existsSync(resolvePath(io, firstDir));
  if (looksLocal)
    throw new InputError(`--source ${source}: no such file or directory.`, { file: local });
  return source;
}

/** Progress bars for the download and each split, on stderr. */
function progressHooks(io: CliIO) {
  const bars = new Map<string, Progress>();
  const bar = (key: string, label: string) => {
    let b = bars.get(key);
    if (!b) {
      b = createProgress(io.stderr, label);
      bars.set(key, b);
    }
    return b;
  };
  return {
    onBuild(p: BuildProgress) {
      const b = bar(`split:${p.split}`, `writing ${p.split}`);
      b.update(p.done, p.total);
      if (p.total !== undefined && p.done >= p.total) b.finish();
    },
    stopAll() {
      for (const b of bars.values()) b.stop();
    },
  };
}

function report(io: CliIO, result: BuildResult): void {
  const s = (x: BuildResult['train']) =>
    `${plural(x.examples, 'example')} in ${plural(x.puzzles, 'puzzle')}, ${plural(x.groups, 'group')}`;
  io.stdout.write(
    `Wrote ${result.outputDir}\n  train: ${s(result.train)}\n  test:  ${s(result.test)}\n`,
  );
}

/** `trm build-dataset sudoku|maze|arc`. */
export async function buildDatasetCommand(
  kind: 'sudoku' | 'maze' | 'arc',
  ctx: CommandContext,
): Promise<number> {
  const { io } = ctx;
  const outputDir = resolvePath(io, str(ctx, 'output-dir')!);
  const overwrite = bool(ctx, 'overwrite');
  const seed = int(ctx, 'seed');
  checkOutputFree(outputDir, overwrite, 'output directory');
  const hooks = progressHooks(io);
  const hub = cliHubOptions(io);
  let result: BuildResult;
  try {
    if (kind === 'arc') {
      const prefix = resolvePath(io, str(ctx, 'input-file-prefix')!);
      const subsets = ctx.flags.subsets as string[];
      const testSetName = str(ctx, 'test-set-name')!;
      const missing = subsets.filter((s) => !existsSync(`${prefix}_${s}_challenges.json`));
      if (missing.length > 0) {
        throw new InputError(
          `No ARC challenges file for subset${missing.length > 1 ? 's' : ''} ${missing.join(', ')}: expected ${missing.map((s) => `${prefix}_${s}_challenges.json`).join(', ')}. Check --input-file-prefix and --subsets.`,
          { file: `${prefix}_${missing[0]}_challenges.json` },
        );
      }
      result = await buildArcDataset({
        inputFilePrefix: prefix,
        outputDir,
        subsets,
        testSetName,
        testSetName2: str(ctx, 'test-set-name2'),
        numAug: int(ctx, 'num-aug', 0),
        seed,
        puzzleIdentifiersStart: int(ctx, 'puzzle-identifiers-start', 1),
        overwrite,
        onProgress: hooks.onBuild,
      });
    } else {
      const source = parseSource(io, str(ctx, 'source')!);
      const common = {
        source,
        outputDir,
        subsampleSize: int(ctx, 'subsample-size', 1),
        minDifficulty: int(ctx, 'min-difficulty'),
        seed,
        overwrite,
        hub: hub.options,
        onProgress: hooks.onBuild,
      };
      try {
        result =
          kind === 'sudoku'
            ? await buildSudokuDataset({ ...common, numAug: int(ctx, 'num-aug', 0) })
            : await buildMazeDataset({ ...common, aug: bool(ctx, 'aug') });
      } catch (e) {
        const status = (e as { status?: unknown }).status;
        if ((e as Error).name === 'HubError' && status === 404 && typeof source === 'string') {
          throw new InputError(
            `--source ${source}: not found on the hub (HTTP 404). Check the dataset id; for local CSVs give an existing directory or TRAIN.csv,TEST.csv.`,
            { cause: e },
          );
        }
        throw e;
      }
    }
  } finally {
    hooks.stopAll();
    hub.stop();
  }
  report(io, result);
  return 0;
}
