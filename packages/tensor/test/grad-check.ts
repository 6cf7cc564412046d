/**
 * The finite-difference gradient check shared by the gradient tests. For an op
 * `y = f(x₁, …)` it takes the scalar `L = Σ w ⊙ f(x₁, …)` with random weights `w`, runs
 * `L.backward()` on the GPU, and compares each `xᵢ.grad` with
 * `(L(x + h·eⱼ) − L(x − h·eⱼ)) / 2h` computed entirely in f64 on the CPU.
 */
import { expect } from 'vitest';
import * as T from '../src/index.js';
import { toTensor } from './helpers.js';
import * as R from './reference/nd.js';

export interface GradCase {
  inputs: R.Nd[];
  cpu: (xs: R.Nd[]) => R.Nd;
  gpu: (xs: T.Tensor[]) => T.Tensor;
  /** Inputs that get gradients (default: all). */
  wrt?: number[];
  rtol?: number;
}

/** A random f64 array of `shape` with entries in `[lo, hi)`. */
export type RandNd = (shape: number[], lo?: number, hi?: number) => R.Nd;

/** The check, drawing its upstream weights from `rand`. */
export function gradChecker(rand: RandNd): (c: GradCase) => Promise<void> {
  return async (c) => {
    const wrt = c.wrt ?? c.inputs.map((_, i) => i);
    const y0 = c.cpu(c.inputs);
    const w = rand(y0.shape, -1, 1);
    const lossOf = (xs: R.Nd[]) => {
      const y = c.cpu(xs);
      let s = 0;
      for (let i = 0; i < y.data.length; i++) s += y.data[i]! * w.data[i]!;
      return s;
    };
    const tensors = c.inputs.map((x, i) => toTensor(x, wrt.includes(i)));
    T.tidy(() => {
      const y = c.gpu(tensors);
      expect([...y.shape]).toEqual(y0.shape);
      y.mul(toTensor(w)).sum().backward();
    });
    for (const k of wrt) {
      const x = c.inputs[k]!;
      const grad = tensors[k]!.grad;
      expect(grad, `input ${k} has a gradient`).not.toBeNull();
      const got = (await grad!.data()) as Float32Array;
      for (let j = 0; j < x.data.length; j++) {
        const h = 1e-6 * Math.max(1, Math.abs(x.data[j]!));
        const plus = c.inputs.map((v, i) => (i === k ? R.nd(v.shape, v.data) : v));
        const minus = c.inputs.map((v, i) => (i === k ? R.nd(v.shape, v.data) : v));
        plus[k]!.data[j] = x.data[j]! + h;
        minus[k]!.data[j] = x.data[j]! - h;
        const fd = (lossOf(plus) - lossOf(minus)) / (2 * h);
        const tol = 1e-4 + (c.rtol ?? 2e-3) * Math.abs(fd);
        if (!(Math.abs(got[j]! - fd) <= tol)) {
          throw new Error(`input ${k} element ${j}: autograd ${got[j]}, finite differences ${fd}`);
        }
      }
    }
    for (const t of tensors) t.dispose();
  };
}
