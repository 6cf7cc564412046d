import { describe, expect, it } from 'vitest';
import {
  computeBatchMetrics,
  IGNORE_LABEL_ID,
  MetricAccumulator,
  metricSums,
} from '../src/index.js';

const X = IGNORE_LABEL_ID;

describe('computeBatchMetrics (§6)', () => {
  // Four rows of three tokens.
  const rows = {
    labels: Int32Array.from([1, 2, 3, /**/ 1, X, 3, /**/ X, X, X, /**/ 5, 5, 5]),
    preds: Int32Array.from([1, 2, 3, /**/ 1, 9, 0, /**/ 4, 4, 4, /**/ 5, 5, 5]),
    qHalt: Float32Array.from([0.5, -1, 3, 2]),
    halted: [true, true, true, false],
    steps: Int32Array.from([2, 4, 8, 16]),
  };

  it('sums the metrics over valid rows (halted and n > 0)', () => {
    const m = computeBatchMetrics(rows);
    // row 0: all 3 correct, q ≥ 0 agrees; row 1: 1 of 2 scored correct, q < 0 agrees;
    // row 2: nothing scored (invalid); row 3: not halted (invalid).
    expect(metricSums(m)).toEqual({
      count: 2,
      accuracy: 1.5,
      exact_accuracy: 1,
      q_halt_accuracy: 2,
      steps: 6,
    });
    expect([...m.scored]).toEqual([3, 2, 0, 3]);
    expect([...m.seqCorrect]).toEqual([1, 0, 1, 1]);
    expect([...m.valid]).toEqual([1, 1, 0, 0]);
  });

  it('treats q_halt = 0 as "halt" (q_halt ≥ 0)', () => {
    const m = computeBatchMetrics({
      labels: Int32Array.from([1, 2, 1, 2]),
      preds: Int32Array.from([1, 2, 1, 0]),
      qHalt: [0, 0],
      halted: [1, 1],
      steps: [1, 1],
    });
    // Row 0 is right and predicted halting; row 1 is wrong but also "halting".
    expect(m.q_halt_accuracy).toBe(1);
    expect(m.exact_accuracy).toBe(1);
    expect(m.accuracy).toBe(1.5);
  });

  it('checks shapes', () => {
    expect(() => computeBatchMetrics({ ...rows, steps: [1] })).toThrow(/one entry per row/);
    expect(() => computeBatchMetrics({ ...rows, preds: new Int32Array(11) })).toThrow(/differ/);
    expect(() =>
      computeBatchMetrics({ ...rows, preds: new Int32Array(10), labels: new Int32Array(10) }),
    ).toThrow(/multiple/);
  });
});

describe('MetricAccumulator', () => {
  it('reports metrics as sum / count and losses as sum / global_batch_size per batch', () => {
    const acc = new MetricAccumulator({ globalBatchSize: 4 });
    acc.add('all', {
      count: 2,
      accuracy: 1.5,
      exact_accuracy: 1,
      steps: 6,
      lm_loss: 8,
      q_halt_loss: 2,
    });
    acc.add('all', {
      count: 2,
      accuracy: 0.5,
      exact_accuracy: 0,
      steps: 10,
      lm_loss: 4,
      q_halt_loss: 2,
    });
    acc.add('other', { count: 1, accuracy: 1, lm_loss: 2 });
    expect(acc.sets()).toEqual(['all', 'other']);
    expect(acc.count('all')).toBe(4);
    expect(acc.sum('all', 'lm_loss')).toBe(12);
    expect(acc.result()).toEqual({
      all: { accuracy: 0.5, exact_accuracy: 0.25, steps: 4, lm_loss: 12 / 8, q_halt_loss: 4 / 8 },
      other: { accuracy: 1, lm_loss: 0.5 },
    });
    expect(acc.flat()).toEqual({
      'all/accuracy': 0.5,
      'all/exact_accuracy': 0.25,
      'all/steps': 4,
      'all/lm_loss': 1.5,
      'all/q_halt_loss': 0.5,
      'other/accuracy': 1,
      'other/lm_loss': 0.5,
    });
    expect(Object.keys(acc.flat('eval/'))[0]).toBe('eval/all/accuracy');
  });

  it('divides one batch exactly as §6 does', () => {
    const acc = new MetricAccumulator({ globalBatchSize: 8 });
    acc.add('train', { count: 5, accuracy: 4, lm_loss: 16 });
    expect(acc.result().train).toEqual({ accuracy: 0.8, lm_loss: 2 });
  });

  it("can divide losses by count like the reference's evaluate()", () => {
    const acc = new MetricAccumulator({ globalBatchSize: 8, lossDenominator: 'count' });
    acc.add('all', { count: 4, lm_loss: 2 });
    acc.add('all', { count: 4, lm_loss: 2 });
    expect(acc.result().all).toEqual({ lm_loss: 0.5 });
  });

  it('reports zeros for a set without valid rows and resets', () => {
    const acc = new MetricAccumulator({ globalBatchSize: 2 });
    acc.add('all', { count: 0, accuracy: 0 });
    expect(acc.result().all).toEqual({ accuracy: 0 });
    acc.reset();
    expect(acc.result()).toEqual({});
  });

  it('rejects bad input', () => {
    expect(() => new MetricAccumulator({ globalBatchSize: 0 })).toThrow(RangeError);
    const acc = new MetricAccumulator({ globalBatchSize: 2 });
    expect(() => acc.add('all', { count: Number.NaN })).toThrow(TypeError);
  });

  it('reports a NaN loss plainly instead of failing', () => {
    const acc = new MetricAccumulator({ globalBatchSize: 2 });
    acc.add('all', { count: 2, accuracy: 1, lm_loss: Number.NaN });
    expect(acc.result().all!.lm_loss).toBeNaN();
    expect(acc.result().all!.accuracy).toBe(0.5);
  });

  it('accumulates computeBatchMetrics output', () => {
    const acc = new MetricAccumulator({ globalBatchSize: 2 });
    const m = computeBatchMetrics({
      labels: Int32Array.from([1, 2, 3, 4]),
      preds: Int32Array.from([1, 2, 3, 0]),
      qHalt: [1, 1],
      halted: [1, 1],
      steps: [3, 5],
    });
    acc.add('all', metricSums(m));
    expect(acc.result().all).toEqual({
      accuracy: 0.75,
      exact_accuracy: 0.5,
      q_halt_accuracy: 0.5,
      steps: 4,
    });
  });
});
