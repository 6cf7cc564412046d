import { describe, expect, it } from 'vitest';
import { createProgress } from '../src/index.js';
import { Capture } from './helpers.js';

describe('progress', () => {
  it('redraws one line on a terminal, throttled', () => {
    const out = new Capture(true, 100);
    let t = 0;
    const p = createProgress(out, 'writing train', { now: () => t });
    p.update(0, 100);
    t = 50;
    p.update(10, 100); // throttled
    t = 200;
    p.update(50, 100);
    t = 300;
    p.update(100, 100);
    p.finish();
    const frames = out.text.split('\r\x1b[K').filter((s) => s !== '');
    expect(frames).toHaveLength(4);
    expect(frames[1]).toMatch(/^writing train \[#+-+\] {2}50% 50\/100$/);
    expect(frames[3]).toMatch(/^writing train done: 100 in 0\.3s\n$/);
    expect(out.text.split('\n')).toHaveLength(2);
  });

  it('shows an ETA once a second has passed', () => {
    const out = new Capture(false);
    let t = 0;
    const p = createProgress(out, 'gen', { now: () => t });
    t = 2000;
    p.update(50, 100);
    expect(out.text).toBe('gen 50% (50/100) ETA 2s\n');
  });

  it('prints plain lines every 10% without a terminal', () => {
    const out = new Capture(false);
    let t = 0;
    const p = createProgress(out, 'gen', { now: () => t, quietMs: 0 });
    for (let i = 1; i <= 1000; i++) p.update(i, 1000);
    p.finish();
    const lines = out.text.trimEnd().split('\n');
    expect(lines).toHaveLength(10);
    expect(lines[0]).toBe('gen 10% (100/1,000)');
    expect(lines[9]).toBe('gen done: 1,000 in 0.0s');
    // A quick task prints only its final line.
    const quick = new Capture(false);
    const q = createProgress(quick, 'gen', { now: () => t });
    for (let i = 1; i <= 100; i++) q.update(i, 100);
    t = 400;
    q.finish();
    expect(quick.text).toBe('gen done: 100 in 0.4s\n');
    expect(out.text).not.toContain('\r');
  });

  it('without a total prints at most every few seconds; stop() ends quietly', () => {
    const out = new Capture(false);
    let t = 0;
    const p = createProgress(out, 'download', { now: () => t, lineMs: 1000 });
    p.update(10);
    t = 1500;
    p.update(20);
    p.stop();
    p.finish();
    expect(out.text).toBe('download 20\n');
  });
});
