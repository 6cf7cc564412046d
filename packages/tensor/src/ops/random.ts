/** Random tensors from an explicit {@link Generator} (generated on the CPU, then uploaded). */
import { backendOf, type Device } from '../device/device.js';
import type { DType } from '../dtype.js';
import { paramWords } from '../kernels/launch.js';
import { encodeUniform } from '../kernels/philox.js';
import { Generator } from '../random/generator.js';
import type { Tensor } from '../tensor.js';
import { bufferOf } from '../tensor.js';
import { tensor } from './creation.js';
import { empty, resolveDevice, shapeSize } from './util.js';

export interface RandomOptions {
  device?: Device;
}

type Shape = readonly number[];

/**
 * Every creator takes the generator first: `randn(gen, [2, 3], { std: 0.5 })`. The same call
 * may also be written shape first with the generator last (`randn([2, 3], { std: 0.5 }, gen)`,
 * and for `truncNormal`/`randn` a number for the std: `truncNormal([2, 3], 0.5, gen)`).
 */
function normalise<O extends object>(
  name: string,
  args: unknown[],
  numberKey?: keyof O,
): [Generator, Shape, O] {
  if (args[0] instanceof Generator) {
    return [args[0], args[1] as Shape, (args[2] ?? {}) as O];
  }
  const gen = args[args.length - 1];
  if (!(gen instanceof Generator) || !Array.isArray(args[0])) {
    throw new TypeError(`${name}: pass a Generator: ${name}(generator, shape, options).`);
  }
  const middle = args.length > 2 ? args[1] : undefined;
  const options =
    typeof middle === 'number' && numberKey
      ? ({ [numberKey]: middle } as O)
      : ((middle ?? {}) as O);
  return [gen, args[0] as Shape, options];
}

type UniformOptions = RandomOptions & { low?: number; high?: number };
type NormalOptions = RandomOptions & { mean?: number; std?: number };

/** Uniform in `[low, high)` (default `[0, 1)`), f32. */
export function rand(generator: Generator, shape: Shape, options?: UniformOptions): Tensor;
export function rand(
  shape: Shape,
  options: UniformOptions | undefined,
  generator: Generator,
): Tensor;
export function rand(...args: unknown[]): Tensor {
  const [generator, shape, options] = normalise<UniformOptions>('rand', args);
  const device = resolveDevice(options.device);
  if (backendOf(device).recording?.active) {
    return randOnDevice(generator, shape, options.low ?? 0, options.high ?? 1, device);
  }
  const data = generator.uniform(shapeSize(shape), options.low ?? 0, options.high ?? 1);
  return tensor(data, { shape, device: options.device });
}

/** Normal with `mean` (0) and `std` (1), f32. */
export function randn(generator: Generator, shape: Shape, options?: NormalOptions): Tensor;
export function randn(
  shape: Shape,
  options: NormalOptions | number | undefined,
  generator: Generator,
): Tensor;
export function randn(...args: unknown[]): Tensor {
  const [generator, shape, options] = normalise<NormalOptions>('randn', args, 'std');
  const data = generator.normal(shapeSize(shape), options.mean ?? 0, options.std ?? 1);
  return tensor(data, { shape, device: options.device });
}

/** TRM's truncated normal (TRM.md §2): ±2σ, rescaled to an actual standard deviation `std`. */
export function truncNormal(generator: Generator, shape: Shape, options?: NormalOptions): Tensor;
export function truncNormal(
  shape: Shape,
  options: NormalOptions | number | undefined,
  generator: Generator,
): Tensor;
export function truncNormal(...args: unknown[]): Tensor {
  const [generator, shape, options] = normalise<NormalOptions>('truncNormal', args, 'std');
  const data = generator.truncNormal(shapeSize(shape), options.std ?? 1, options.mean ?? 0);
  return tensor(data, { shape, device: options.device });
}

/** Integers uniform in `[low, high)`, i32. */
export function randint(
  generator: Generator,
  shape: Shape,
  low: number,
  high: number,
  options: RandomOptions = {},
): Tensor {
  return tensor(generator.integers(shapeSize(shape), low, high), { shape, device: options.device });
}

/** Bernoulli(p) draws: bool by default, or f32/i32 0/1 with `dtype`. */
export function bernoulli(
  generator: Generator,
  shape: Shape,
  p: number,
  options: RandomOptions & { dtype?: DType } = {},
): Tensor {
  const data = generator.bernoulli(shapeSize(shape), p);
  return tensor(data, { shape, device: options.device, dtype: options.dtype ?? 'bool' });
}

/**
 * `rand` inside a captured step: drawn on the device from the same stream, with the
 * generator's position as a per-call parameter, so that every replay advances the generator
 * and draws the next numbers, as an eager call would.
 */
function randOnDevice(
  generator: Generator,
  shape: Shape,
  low: number,
  high: number,
  device: Device,
): Tensor {
  const n = shapeSize(shape);
  const out = empty(shape, 'f32', device);
  const blocks = Math.ceil(n / 4);
  let first = generator.skip(blocks);
  backendOf(device).recording?.effects.push(() => {
    first = generator.skip(blocks);
  });
  if (n === 0) return out;
  const { seed } = generator;
  const words = () => {
    const w = new Uint32Array(7);
    const f = new Float32Array(w.buffer);
    w.set([
      seed % 2 ** 32,
      Math.floor(seed / 2 ** 32),
      first % 2 ** 32,
      Math.floor(first / 2 ** 32),
      n,
    ]);
    f[5] = low;
    f[6] = high;
    return w;
  };
  encodeUniform(device, paramWords(device, words(), true, words), bufferOf(out), n);
  return out;
}
