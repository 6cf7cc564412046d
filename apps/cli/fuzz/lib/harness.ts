/**
 * Runs the real `trm` binary on one malformed input and checks the contract every command
 * promises: the exit code (0 success, 1 runtime failure, 2 bad input), one paragraph of error
 * text naming the file, key or row at fault, no stack trace, nothing left behind and nothing
 * of the user's changed, within a memory ceiling and a time limit.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The built CLI the suite runs (as users do, after `pnpm build`). */
export const CLI = resolve(fileURLToPath(new URL('../../dist/cli.js', import.meta.url)));

/** The classes of malformed input the suite covers; every case belongs to one. */
export type FuzzClass =
  | 'npy'
  | 'dataset.json'
  | 'identifiers.json'
  | 'safetensors'
  | 'pt'
  | 'csv'
  | 'arc-json'
  | 'config'
  | 'flags'
  | 'output-paths'
  | 'signals'
  | 'hub';

/** What a case runs and what it expects. */
export interface Run {
  argv: string[];
  /** Expected exit code: 2 for bad input, 1 for a runtime failure, 130 after SIGINT. */
  code: number;
  /** Text the error paragraph must contain: the file, key or row at fault. */
  names?: (string | RegExp)[];
  env?: Record<string, string>;
  /** Memory ceiling of the process (its data segment, enforced with prlimit). Default 1024. */
  memLimitMiB?: number;
  /** Fails the case when the run takes longer. Default 90. */
  maxSeconds?: number;
  /**
   * What the run may change in the case directory. 'none' (the default when the exit code is
   * not 0): the tree must be byte-identical afterwards. 'any': the case checks it itself.
   */
  changes?: 'none' | 'any';
  /** Send `signal` to the process once stderr matches `when`. */
  kill?: { when: RegExp; signal: NodeJS.Signals };
  /** Runs the command line through this prefix (e.g. a namespace with a tiny tmpfs). */
  wrap?: string[];
  /** A second command run afterwards in the same directory, with its expected exit code. */
  rerun?: { argv: string[]; code: number };
  /** Extra assertions; throw to fail. */
  check?: (result: RunResult) => void | Promise<void>;
}

/** A case: a name, its class, and how to lay out its files. */
export interface FuzzCase {
  id: string;
  klass: FuzzClass;
  arrange(ws: CaseDir): Run | Promise<Run>;
  /** Skip unless the platform allows (e.g. mounting a small tmpfs). */
  skip?: () => string | false;
}

/** The case's own working directory (the CLI's cwd). */
export interface CaseDir {
  dir: string;
  /** Absolute path of `rel` inside the case directory. */
  path(rel: string): string;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  seconds: number;
  /** Peak resident set size in MiB, when /usr/bin/time could measure it. */
  peakRssMiB: number | undefined;
  /** The case directory before and after. */
  before: Snapshot;
  after: Snapshot;
}

/** Path → a fingerprint of what is there (type, size, content hash, link target). */
export type Snapshot = Map<string, string>;

/** Fingerprints every entry under `root` (content hashes for files up to 64 MiB). */
export function snapshot(root: string): Snapshot {
  const out: Snapshot = new Map();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      const rel = relative(root, p);
      const st = lstatSync(p);
      if (st.isSymbolicLink()) out.set(rel, `link:${readlinkSync(p)}`);
      else if (st.isDirectory()) {
        out.set(rel, 'dir');
        walk(p);
      } else if (st.isFile()) {
        const hash =
          st.size <= 64 << 20
            ? createHash('sha1').update(readFileSync(p)).digest('hex')
            : `big:${st.mtimeMs}`;
        out.set(rel, `file:${st.size}:${hash}`);
      } else out.set(rel, `special:${st.mode}`);
    }
  };
  if (existsSync(root)) walk(root);
  return out;
}

/** Human-readable differences between two snapshots (empty when equal). */
export function diffSnapshots(before: Snapshot, after: Snapshot): string[] {
  const d: string[] = [];
  for (const [k, v] of before) {
    if (!after.has(k)) d.push(`removed ${k}`);
    else if (after.get(k) !== v) d.push(`changed ${k}`);
  }
  for (const k of after.keys()) if (!before.has(k)) d.push(`left behind ${k}`);
  return d;
}

const TIME = '/usr/bin/time';
let rssFile = 0;

/** Runs the CLI as a user would, under prlimit's data-segment ceiling. */
export function runTrm(dir: string, run: Run): Promise<Omit<RunResult, 'before' | 'after'>> {
  const limit = (run.memLimitMiB ?? 1024) * 1024 * 1024;
  const measure = existsSync(TIME);
  const rssPath = join(dir, '..', `.rss-${process.pid}-${rssFile++}`);
  const cmd = [
    ...(run.wrap ?? []),
    ...(measure ? [TIME, '-f', '%M', '-o', rssPath] : []),
    'prlimit',
    `--data=${limit}`,
    process.execPath,
    CLI,
    ...run.argv,
  ];
  const started = Date.now();
  return new Promise((done, fail) => {
    const child = spawn(cmd[0]!, cmd.slice(1), {
      cwd: dir,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: join(dir, '..', 'home'),
        HF_HOME: join(dir, '..', 'hf-home'),
        HF_HUB_OFFLINE: '1',
        XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp',
        NO_COLOR: '1',
        ...run.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    let killed = false;
    const timer = setTimeout(
      () => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {}
      },
      (run.maxSeconds ?? 90) * 1000,
    );
    child.stdout.on('data', (b: Buffer) => {
      stdout += b.toString();
    });
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString();
      if (run.kill && !killed && run.kill.when.test(stderr)) {
        killed = true;
        try {
          // The whole group: `time` waits on its child and ignores SIGINT itself.
          process.kill(-child.pid!, run.kill.signal);
        } catch {}
      }
    });
    child.on('error', fail);
    child.on('close', (exitCode, exitSignal) => {
      let code = exitCode;
      let signal = exitSignal;
      clearTimeout(timer);
      let peakRssMiB: number | undefined;
      if (measure && existsSync(rssPath)) {
        const report = readFileSync(rssPath, 'utf8');
        const kib = Number.parseInt(report.trim().split('\n').pop()!, 10);
        if (Number.isFinite(kib)) peakRssMiB = kib / 1024;
        // GNU time exits 128+N for a child killed by signal N and says so in its report.
        const sig = /terminated by signal (\d+)/.exec(report);
        if (sig && signal === null) signal = signalName(Number(sig[1]));
        rmSync(rssPath, { force: true });
      }
      // A death by signal reads as the shell reports it: 128 + the signal's number.
      const numbers: Record<string, number> = { SIGINT: 2, SIGKILL: 9, SIGTERM: 15, SIGHUP: 1 };
      if (signal && numbers[signal]) code = 128 + numbers[signal]!;
      done({ code, signal, stdout, stderr, seconds: (Date.now() - started) / 1000, peakRssMiB });
    });
  });
}

/** `SIGKILL` for 9, and so on. */
function signalName(n: number): NodeJS.Signals {
  const names: Record<number, NodeJS.Signals> = {
    2: 'SIGINT',
    9: 'SIGKILL',
    15: 'SIGTERM',
    6: 'SIGABRT',
    11: 'SIGSEGV',
  };
  return names[n] ?? 'SIGKILL';
}

/** Why a result breaks the contract (empty when it keeps it). */
export function contractViolations(run: Run, r: RunResult): string[] {
  const v: string[] = [];
  const err = r.stderr;
  if (r.code !== run.code) v.push(`exit code ${r.code ?? r.signal} (expected ${run.code})`);
  if (/^\s+at .+:\d+:\d+\)?$/m.test(err) || /internal error|node:internal|Node\.js v\d/.test(err))
    v.push('stack trace or internal error on stderr');
  if (run.code === 1 || run.code === 2) {
    const i = err.indexOf('error: ');
    if (i < 0) v.push('no "error:" paragraph on stderr');
    else {
      const paragraph = err.slice(err.lastIndexOf('\n', i) + 1);
      if (/\n\s*\n\S/.test(paragraph.trimEnd())) v.push('the error is more than one paragraph');
      if ((err.match(/error: /g) ?? []).length > 1) v.push('more than one error printed');
      for (const n of run.names ?? []) {
        const ok = typeof n === 'string' ? paragraph.includes(n) : n.test(paragraph);
        if (!ok) v.push(`the error does not name ${String(n)}`);
      }
    }
  }
  const limit = run.memLimitMiB ?? 1024;
  if (r.peakRssMiB !== undefined && r.peakRssMiB > limit)
    v.push(`peak RSS ${r.peakRssMiB.toFixed(0)} MiB over ${limit} MiB`);
  if ((run.changes ?? (run.code === 0 ? 'any' : 'none')) === 'none') {
    for (const d of diffSnapshots(r.before, r.after)) v.push(d);
  }
  return v;
}
