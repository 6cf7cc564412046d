/**
 * Keeps Dawn's start-up chatter off the user's terminal. Dawn (the native WebGPU library)
 * prints two lines on every device creation — `Warning: maxDynamic…BuffersPerPipelineLayout
 * artificially reduced…` — straight to file descriptor 2, where JavaScript cannot intercept
 * them. Commands that open a device therefore run in a child process whose stderr passes
 * through this filter; everything else (progress bars included) is forwarded as it arrives.
 */
import { spawn } from 'node:child_process';

const DAWN_NOISE = /^Warning: maxDynamic\w+PerPipelineLayout artificially reduced[^\n]*\n/;
const NOISE_PREFIX = 'Warning: maxDynamic';

/** Environment variable set in the child (and honoured to switch the filter off). */
export const NATIVE_STDERR_ENV = 'TRM_NATIVE_STDERR';

/** Whether this command line opens a WebGPU device (and so needs the filter). */
export function opensDevice(argv: readonly string[]): boolean {
  const cmd = argv.find((a) => !a.startsWith('-'));
  if (argv.includes('--help') || argv.includes('-h')) return false;
  if (cmd === 'train' || cmd === 'eval') return !argv.includes('--print-config');
  if (cmd === 'predict') return true;
  return cmd === 'show' && argv.some((a) => a === '--checkpoint' || a.startsWith('--checkpoint='));
}

/**
 * A line filter for a text stream: drops Dawn's warning lines and forwards everything else at
 * once (progress bars redraw within a line), holding back only a partial line that may still
 * turn out to be one of the warnings.
 */
export function createNoiseFilter(write: (text: string) => void): (chunk: string) => void {
  let pending = '';
  return (chunk) => {
    pending += chunk;
    let out = '';
    for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
      const line = pending.slice(0, nl + 1);
      if (!DAWN_NOISE.test(line)) out += line;
      pending = pending.slice(nl + 1);
    }
    if (pending && !NOISE_PREFIX.startsWith(pending) && !pending.startsWith(NOISE_PREFIX)) {
      out += pending;
      pending = '';
    }
    if (out) write(out);
  };
}

/**
 * Runs this CLI again as a child with its stderr filtered and resolves to the exit code the
 * parent should use. Signals sent to the parent alone (`kill PID`) are passed on; a Ctrl-C on
 * a terminal reaches both, and the parent just waits for the child to finish.
 */
export function runFiltered(script: string, argv: readonly string[]): Promise<number> {
  const stderr = process.stderr;
  const child = spawn(process.execPath, [...process.execArgv, script, ...argv], {
    stdio: ['inherit', 'inherit', 'pipe'],
    env: {
      ...process.env,
      [NATIVE_STDERR_ENV]: 'filtered',
      TRM_STDERR_TTY: stderr.isTTY ? '1' : '0',
      TRM_STDERR_COLUMNS: String(stderr.columns ?? 80),
    },
  });
  const filter = createNoiseFilter((t) => stderr.write(t));
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', filter);
  const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
  const handlers = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((s) => {
    const h = forward(s);
    process.on(s, h);
    return [s, h] as const;
  });
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      for (const [s, h] of handlers) process.off(s, h);
      if (signal) {
        // Die of the same signal, so the shell sees what happened.
        process.kill(process.pid, signal);
        resolve(128 + 1);
      } else resolve(code ?? 1);
    });
  });
}
