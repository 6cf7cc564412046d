import { describe, expect, it } from 'vitest';
import { isDawnPoll, pacedSetImmediate } from '../src/device/dawn-polling.js';
import { tensor } from '../src/index.js';
import { useDefaultDevice } from './helpers.js';

const device = useDefaultDevice();

describe('isDawnPoll', () => {
  it('refuses the callbacks an application passes: JavaScript, built-ins, bound functions', () => {
    expect(isDawnPoll(() => {})).toBe(false);
    expect(isDawnPoll(function named() {})).toBe(false);
    expect(isDawnPoll(Math.max)).toBe(false);
    expect(isDawnPoll((() => {}).bind(null))).toBe(false);
    expect(isDawnPoll(undefined)).toBe(false);
  });

  it("accepts the callbacks dawn.node schedules while a device's work is pending", async () => {
    const d = device();
    const seen: unknown[] = [];
    const paced = globalThis.setImmediate;
    globalThis.setImmediate = ((fn: () => void, ...args: unknown[]) => {
      seen.push(fn);
      return (paced as unknown as (...a: unknown[]) => unknown)(fn, ...args);
    }) as unknown as typeof setImmediate;
    try {
      const x = tensor(new Float32Array(64 * 64).fill(1), { shape: [64, 64] });
      const y = x.matmul(x);
      expect((await y.data())[0]).toBe(64);
      await d.sync();
      x.dispose();
      y.dispose();
    } finally {
      globalThis.setImmediate = paced;
    }
    expect(seen.some(isDawnPoll)).toBe(true);
  });

  it.skipIf(process.env.TRM_DAWN_POLL === 'spin')(
    'is in place once a device is open: the global setImmediate paces Dawn',
    () => {
      device();
      expect(globalThis.setImmediate.name).toBe('setImmediate');
      expect(String(globalThis.setImmediate)).toContain('isPoll(callback)');
    },
  );
});

describe('pacedSetImmediate', () => {
  /**
   * Over an original that queues callbacks (run by `runNext`), a clock that moves only when
   * told, and `isPoll` = the `poll` returned: a stand-in for Dawn's poll that re-schedules
   * itself while `pending()` says the wait goes on, as dawn.node's does.
   */
  function setUp(pending: () => boolean) {
    const queue: [(...a: unknown[]) => unknown, unknown[]][] = [];
    const clock = { t: 0, sleeps: [] as number[] };
    const paced = pacedSetImmediate(
      (fn, ...args) => queue.push([fn as (...a: unknown[]) => unknown, args]),
      {
        isPoll: (fn) => fn === poll,
        now: () => clock.t,
        sleep: (ms) => {
          clock.sleeps.push(ms);
          clock.t += ms;
        },
      },
    );
    const poll = () => {
      if (pending()) paced(poll);
    };
    const runNext = () => {
      const [fn, args] = queue.shift()!;
      fn(...args);
    };
    return { clock, paced, poll, queue, runNext };
  }

  it('passes other callbacks through with their arguments, and never sleeps before them', () => {
    const { clock, paced, queue } = setUp(() => false);
    const cb = () => {};
    for (let i = 0; i < 100; i++) {
      paced(cb, i);
      clock.t += 0.5;
    }
    expect(queue).toHaveLength(100);
    expect(queue[7]).toEqual([cb, [7]]);
    expect(clock.sleeps).toEqual([]);
  });

  it('polls at once for a short wait, then sleeps a tenth of the time waited, at most 1 ms', () => {
    let polls = 0;
    const { clock, paced, poll, queue, runNext } = setUp(() => ++polls < 6);
    paced(poll); // the wait starts at t = 0
    for (const t of [0.04, 2, 6, 10, 14]) {
      clock.t = t;
      runNext(); // Dawn polls, finds the work unfinished, and schedules the next poll
    }
    expect(clock.sleeps).toEqual([0.2, 0.6, 1, 1]);
    runNext(); // the sixth poll finds the work done
    expect(queue).toHaveLength(0);
  });

  it('starts a new wait when a poll is scheduled from outside a poll, however soon', () => {
    let pending = true;
    const { clock, paced, poll, runNext } = setUp(() => pending);
    paced(poll);
    clock.t = 3;
    runNext();
    expect(clock.sleeps).toEqual([0.3]);
    pending = false;
    runNext(); // done at t = 3.3: no poll scheduled
    clock.t += 0.01;
    pending = true;
    paced(poll); // a new read right after: it polls at once, as a new wait
    clock.t += 0.02;
    runNext();
    expect(clock.sleeps).toEqual([0.3]);
  });
});
