/**
 * Attaches the operations to `Tensor.prototype`. `tensor.ts` declares their types but imports
 * no op, and no op imports this module: the dependency runs one way (index → methods → ops →
 * tensor), so the package has no import cycle. `index.ts` imports this module for its effect.
 */
import { runBackward } from './autograd/engine.js';
import * as bin from './ops/binary.js';
import { cast } from './ops/cast.js';
import { gather } from './ops/indexing.js';
import { matmul } from './ops/matmul.js';
import * as red from './ops/reduce.js';
import * as shp from './ops/shape.js';
import { logSoftmax, softmax } from './ops/softmax.js';
import * as un from './ops/unary.js';
import { Tensor } from './tensor.js';

const proto = Tensor.prototype as unknown as Record<string, unknown>;

function attach(table: Record<string, (this: Tensor, ...args: never[]) => unknown>): void {
  for (const [name, fn] of Object.entries(table)) {
    Object.defineProperty(proto, name, { value: fn, writable: true, configurable: true });
  }
}

attach({
  // Elementwise
  add(this: Tensor, other: Tensor | number) {
    return bin.add(this, other);
  },
  sub(this: Tensor, other: Tensor | number) {
    return bin.sub(this, other);
  },
  mul(this: Tensor, other: Tensor | number) {
    return bin.mul(this, other);
  },
  div(this: Tensor, other: Tensor | number) {
    return bin.div(this, other);
  },
  maximum(this: Tensor, other: Tensor | number) {
    return bin.maximum(this, other);
  },
  minimum(this: Tensor, other: Tensor | number) {
    return bin.minimum(this, other);
  },
  atan2(this: Tensor, other: Tensor | number) {
    return bin.atan2(this, other);
  },
  pow(this: Tensor, exponent: Tensor | number) {
    return bin.pow(this, exponent);
  },
  eq(this: Tensor, other: Tensor | number) {
    return bin.eq(this, other);
  },
  ne(this: Tensor, other: Tensor | number) {
    return bin.ne(this, other);
  },
  lt(this: Tensor, other: Tensor | number) {
    return bin.lt(this, other);
  },
  le(this: Tensor, other: Tensor | number) {
    return bin.le(this, other);
  },
  gt(this: Tensor, other: Tensor | number) {
    return bin.gt(this, other);
  },
  ge(this: Tensor, other: Tensor | number) {
    return bin.ge(this, other);
  },
  logicalAnd(this: Tensor, other: Tensor) {
    return bin.logicalAnd(this, other);
  },
  logicalOr(this: Tensor, other: Tensor) {
    return bin.logicalOr(this, other);
  },
  logicalXor(this: Tensor, other: Tensor) {
    return bin.logicalXor(this, other);
  },
  where(this: Tensor, a: Tensor | number, b: Tensor | number) {
    return bin.where(this, a, b);
  },
  logicalNot(this: Tensor) {
    return un.logicalNot(this);
  },
  neg(this: Tensor) {
    return un.neg(this);
  },
  exp(this: Tensor) {
    return un.exp(this);
  },
  log(this: Tensor) {
    return un.log(this);
  },
  sqrt(this: Tensor) {
    return un.sqrt(this);
  },
  rsqrt(this: Tensor) {
    return un.rsqrt(this);
  },
  square(this: Tensor) {
    return un.square(this);
  },
  abs(this: Tensor) {
    return un.abs(this);
  },
  sign(this: Tensor) {
    return un.sign(this);
  },
  sigmoid(this: Tensor) {
    return un.sigmoid(this);
  },
  silu(this: Tensor) {
    return un.silu(this);
  },
  tanh(this: Tensor) {
    return un.tanh(this);
  },
  relu(this: Tensor) {
    return un.relu(this);
  },
  sin(this: Tensor) {
    return un.sin(this);
  },
  cos(this: Tensor) {
    return un.cos(this);
  },
  reciprocal(this: Tensor) {
    return un.reciprocal(this);
  },
  cast(this: Tensor, dtype: Parameters<typeof cast>[1]) {
    return cast(this, dtype);
  },

  // Reductions
  sum(this: Tensor, axis?: number | readonly number[], keepdim = false) {
    return red.sum(this, axis, keepdim);
  },
  mean(this: Tensor, axis?: number | readonly number[], keepdim = false) {
    return red.mean(this, axis, keepdim);
  },
  max(this: Tensor, axis?: number, keepdim = false) {
    return red.max(this, axis, keepdim);
  },
  min(this: Tensor, axis?: number, keepdim = false) {
    return red.min(this, axis, keepdim);
  },
  argmax(this: Tensor, axis?: number, keepdim = false) {
    return red.argmax(this, axis, keepdim);
  },
  argmin(this: Tensor, axis?: number, keepdim = false) {
    return red.argmin(this, axis, keepdim);
  },
  softmax(this: Tensor, axis = -1) {
    return softmax(this, axis);
  },
  logSoftmax(this: Tensor, axis = -1) {
    return logSoftmax(this, axis);
  },

  // Linear algebra and indexing
  matmul(this: Tensor, other: Tensor, options: Parameters<typeof matmul>[2] = {}) {
    return matmul(this, other, options);
  },
  gather(this: Tensor, ids: Tensor) {
    return gather(this, ids);
  },

  // Shape
  reshape(this: Tensor, shape: readonly number[]) {
    return shp.reshape(this, shape);
  },
  flatten(this: Tensor) {
    return shp.reshape(this, [this.size]);
  },
  squeeze(this: Tensor, axis?: number) {
    return shp.squeeze(this, axis);
  },
  unsqueeze(this: Tensor, axis: number) {
    return shp.unsqueeze(this, axis);
  },
  permute(this: Tensor, ...dims: number[]) {
    return shp.permute(this, dims);
  },
  transpose(this: Tensor, dim0 = -2, dim1 = -1) {
    return shp.transpose(this, dim0, dim1);
  },
  slice(this: Tensor, ranges: readonly (readonly [number, number?] | null)[]) {
    return shp.slice(this, ranges);
  },
  narrow(this: Tensor, axis: number, start: number, length: number) {
    return shp.narrow(this, axis, start, length);
  },
  pad(this: Tensor, widths: readonly (readonly [number, number])[], value = 0) {
    return shp.pad(this, widths, value);
  },
  split(this: Tensor, sizes: number | readonly number[], axis = 0) {
    return shp.split(this, sizes, axis);
  },
  chunk(this: Tensor, chunks: number, axis = 0) {
    return shp.chunk(this, chunks, axis);
  },
  broadcastTo(this: Tensor, shape: readonly number[]) {
    return shp.broadcastTo(this, shape);
  },
  clone(this: Tensor) {
    return shp.clone(this);
  },

  // Autograd
  backward(this: Tensor, grad?: Tensor) {
    runBackward(this, grad);
  },
});
