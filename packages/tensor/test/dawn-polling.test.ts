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
  /** Over a recording original, a clock that moves only when told, and `isPoll` = `poll`. */
  function setUp() {
    const calls: unknown[][] = [];
    const clock = { t: 0, sleeps: [] as number[] };
    const poll = () => {};
    const paced = pacedSetImmediate((fn, ...args) => calls.push([fn, ...args]), {
      isPoll: (fn) => fn === poll,
      now: () => clock.t,
      sleep: (ms) => {
        clock.sleeps.push(ms);
        clock.t += ms;
      },
    });
    return { calls, clock, paced, poll };
  }

  it('passes every call through with its arguments, and never sleeps before other callbacks', () => {
    const { calls, clock, paced } = setUp();
    const cb = () => {};
    for (let i = 0; i < 100; i++) {
      paced(cb, i);
      clock.t += 0.5;
    }
    expect(calls).toHaveLength(100);
    expect(calls[7]).toEqual([cb, 7]);
    expect(clock.sleeps).toEqual([]);
  });

  it('polls at once for a short wait, then sleeps a tenth of the time waited, at most 1 ms', () => {
    const { calls, clock, paced, poll } = setUp();
    paced(poll);
    clock.t += 0.04;
    paced(poll); // 40 µs into the wait: still spinning
    expect(clock.sleeps).toEqual([]);
    for (const t of [2, 6, 10, 14]) {
      clock.t = t;
      paced(poll); // t ms into the wait
    }
    expect(clock.sleeps).toEqual([0.2, 0.6, 1, 1]);
    expect(calls.map((c) => c[0])).toEqual(Array(6).fill(poll));
  });

  it('starts a new wait after a pause between polls', () => {
    const { clock, paced, poll } = setUp();
    paced(poll);
    clock.t = 3;
    paced(poll);
    expect(clock.sleeps).toEqual([0.3]);
    clock.t = 100; // the GPU was idle: a new wait begins, and spins first
    paced(poll);
    clock.t += 0.01;
    paced(poll);
    expect(clock.sleeps).toEqual([0.3]);
  });
});
