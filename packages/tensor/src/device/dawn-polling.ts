/**
 * How the Node main thread waits for Dawn. While a WebGPU promise is pending (`mapAsync`,
 * `onSubmittedWorkDone`, `popErrorScope`), dawn.node polls its event queue from a
 * `setImmediate` callback that re-schedules itself: the main thread spins at 100% of a core
 * for as long as the GPU works. On a real GPU that wastes a core; on a CPU adapter (lavapipe)
 * the spinning thread takes that core from the driver's workers, and on a 2-core machine
 * every kernel ran on about one core (a 776×1024×128 matmul at 17 GFLOP/s, 28 with the
 * pacing below; the model bench's training step about 1.8× faster).
 *
 * The pacing: Dawn's polls run at once for the first 50 µs of a wait, then each first sleeps
 * a tenth of the time waited so far, at most 1 ms, so a wait overshoots by about a tenth (or
 * the ~70 µs an `Atomics.wait` takes at least) at worst. Every other `setImmediate` call
 * passes through untouched. `TRM_DAWN_POLL=spin` in the environment keeps Dawn's behaviour.
 */

/** Waits shorter than this poll as fast as Dawn asks (ms). */
const SPIN_MS = 0.05;
/** The longest sleep before one poll (ms). */
const MAX_SLEEP_MS = 1;

type SetImmediate = (callback: (...args: unknown[]) => void, ...args: unknown[]) => unknown;

/** What {@link pacedSetImmediate} needs from its surroundings (replaced in tests). */
export interface PollingHooks {
  /** Milliseconds, monotonic. */
  now(): number;
  /** Blocks the thread for `ms` milliseconds. */
  sleep(ms: number): void;
  /** Whether a callback is Dawn's poll (default {@link isDawnPoll}). */
  isPoll(callback: unknown): boolean;
}

/**
 * True for dawn.node's poll callback: an anonymous native function with a `prototype`, as
 * N-API makes them. Application callbacks are JavaScript (their source shows), and the
 * native functions an application could pass (built-ins, bound functions) have names and no
 * `prototype`.
 */
export function isDawnPoll(fn: unknown): boolean {
  return (
    typeof fn === 'function' &&
    fn.name === '' &&
    Object.hasOwn(fn, 'prototype') &&
    Function.prototype.toString.call(fn).endsWith('{ [native code] }')
  );
}

const realHooks: PollingHooks = {
  isPoll: isDawnPoll,
  now: () => performance.now(),
  sleep: (() => {
    const cell = new Int32Array(new SharedArrayBuffer(4));
    return (ms: number) => {
      Atomics.wait(cell, 0, 0, ms);
    };
  })(),
};

/**
 * `original`, with Dawn's polls paced as the module comment says. A poll scheduled from inside
 * Dawn's previous poll continues a wait; one scheduled from anywhere else (a new `mapAsync`,
 * say) starts a new wait, which polls at once again.
 */
export function pacedSetImmediate(
  original: SetImmediate,
  hooks: PollingHooks = realHooks,
): SetImmediate {
  const { isPoll, now: clock, sleep } = hooks;
  let waitStart = 0;
  let inPoll = false;
  return function setImmediate(this: unknown, callback, ...args) {
    if (!isPoll(callback)) return original.call(this, callback, ...args);
    const now = clock();
    if (!inPoll) waitStart = now;
    const waited = now - waitStart;
    if (waited > SPIN_MS) sleep(Math.min(MAX_SLEEP_MS, waited / 10));
    const poll = function (this: unknown, ...pollArgs: unknown[]) {
      inPoll = true;
      try {
        return callback.apply(this, pollArgs);
      } finally {
        inPoll = false;
      }
    };
    return original.call(this, poll, ...args);
  };
}

let installed = false;

/**
 * Puts {@link pacedSetImmediate} in place of `globalThis.setImmediate`, once per thread (a
 * worker has globals of its own); a no-op under `TRM_DAWN_POLL=spin` or without
 * `setImmediate`/`SharedArrayBuffer`.
 */
export function paceDawnPolling(env: Record<string, string | undefined> = process.env): void {
  if (installed || env.TRM_DAWN_POLL === 'spin') return;
  const original = globalThis.setImmediate as unknown as SetImmediate | undefined;
  if (typeof original !== 'function' || typeof SharedArrayBuffer !== 'function') return;
  installed = true;
  globalThis.setImmediate = Object.assign(
    pacedSetImmediate(original),
    original,
  ) as unknown as typeof globalThis.setImmediate;
}
