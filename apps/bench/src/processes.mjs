import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** The PyTorch script of the benchmark. */
export const TORCH_SCRIPT = join(here, '../torch/trm_bench.py');

/**
 * Runs a command that prints one JSON object as its last line of stdout. A failure becomes
 * `{ error }` with the last lines the command wrote, so one broken measurement is a row of
 * the table and not the end of the run.
 * @param {string} command
 * @param {string[]} args
 * @param {{ cwd?: string, timeoutMs?: number }} [options]
 * @returns {Record<string, any>}
 */
export function runJson(command, args, options = {}) {
  const r = spawnSync(command, args, {
    encoding: 'utf8',
    cwd: options.cwd,
    timeout: options.timeoutMs ?? 30 * 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  const lines = (r.stdout ?? '').trim().split('\n');
  const last = lines[lines.length - 1] ?? '';
  if (r.status === 0 && last.startsWith('{')) {
    try {
      return JSON.parse(last);
    } catch {
      // falls through to the error below
    }
  }
  const why = r.error
    ? r.error.message
    : r.signal
      ? `killed by ${r.signal}`
      : `exit code ${r.status}`;
  const tail = `${r.stderr ?? ''}\n${r.stdout ?? ''}`
    .split('\n')
    .filter((l) => l.trim() && !/^Warning: max\w+ artificially reduced/.test(l))
    .slice(-3)
    .join(' | ');
  return { error: `${why}${tail ? `: ${tail}` : ''}` };
}

/** One measurement of trm's training step (see step-worker.mjs). */
export function trmStep(request) {
  return runJson(process.execPath, [join(here, 'step-worker.mjs'), JSON.stringify(request)]);
}

/**
 * The Python to run the PyTorch side with: `preferred` when it imports torch, else the
 * system's /usr/bin/python3 (where Debian's python3-torch lives) when it does; with the torch
 * version and whether CUDA is there. Null when none has torch.
 * @param {string} preferred
 * @param {boolean} explicit the user named it (no fallback then)
 */
export function findTorch(preferred, explicit) {
  const candidates = explicit ? [preferred] : [preferred, '/usr/bin/python3'];
  for (const python of candidates) {
    if (python.includes('/') && !existsSync(python)) continue;
    const r = spawnSync(
      python,
      [
        '-c',
        'import json, torch; print(json.dumps({"torch": torch.__version__, "cuda": torch.cuda.is_available()}))',
      ],
      { encoding: 'utf8', timeout: 120_000 },
    );
    if (r.status === 0) {
      try {
        return { python, ...JSON.parse(r.stdout.trim().split('\n').pop()) };
      } catch {
        // not this one
      }
    }
  }
  return null;
}

/** One PyTorch run of trm_bench.py (`step` or `train`). */
export function torchRun(python, mode, request) {
  return runJson(python, [TORCH_SCRIPT, mode, JSON.stringify(request)]);
}
