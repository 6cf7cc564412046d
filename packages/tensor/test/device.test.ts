import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendOf } from '../src/device/device.js';
import {
  add,
  Device,
  DeviceLostError,
  GpuOutOfMemoryError,
  GpuValidationError,
  ones,
  releasePooledMemory,
} from '../src/index.js';
import { mapF32 } from '../src/kernels/elementwise.js';
import { gridFor } from '../src/kernels/grid.js';

let device: Device;
beforeAll(async () => {
  device = await Device.open();
});
afterAll(() => device?.destroy());

describe('Device.open', () => {
  it('reports adapter info and the adapter-maximum limits', () => {
    expect(typeof device.adapterInfo.vendor).toBe('string');
    expect(device.limits.maxBufferSize).toBeGreaterThanOrEqual(256 * 1024 * 1024);
    expect(device.limits.maxStorageBufferBindingSize).toBeGreaterThanOrEqual(128 * 1024 * 1024);
    expect(device.limits.maxComputeWorkgroupsPerDimension).toBeGreaterThanOrEqual(65_535);
  });

  it('rejects bad options at the boundary', async () => {
    await expect(Device.open({ backend: 'vulcan' as never })).rejects.toThrow(
      /Unknown WebGPU backend "vulcan"/,
    );
    await expect(Device.open({ powerPreference: 'fast' as never })).rejects.toThrow(
      /powerPreference/,
    );
  });

  it('names the available adapters when the requested one does not exist', async () => {
    await expect(Device.open({ adapter: 'no-such-gpu-1234' })).rejects.toThrow(
      /Available adapters/,
    );
  });
});

describe('buffers', () => {
  it('round-trips typed arrays of every supported type', async () => {
    const f = Float32Array.from({ length: 1001 }, (_, i) => i * 0.5 - 3);
    const s = Int32Array.from({ length: 7 }, (_, i) => -i * 1_000_003);
    const u = Uint32Array.from([0, 1, 0xffffffff]);
    const b = Uint8Array.from([1, 2, 3, 4, 5]);
    expect(await backendOf(device).read(backendOf(device).upload(f), Float32Array)).toEqual(f);
    expect(await backendOf(device).read(backendOf(device).upload(s), Int32Array)).toEqual(s);
    expect(await backendOf(device).read(backendOf(device).upload(u), Uint32Array)).toEqual(u);
    // Buffers are rounded up to 4 bytes; ask for exactly the 5 we wrote.
    expect(await backendOf(device).read(backendOf(device).upload(b), Uint8Array, 5)).toEqual(b);
  });

  it('reads a sub-range and writes after pending work without overtaking it', async () => {
    const src = backendOf(device).upload(Float32Array.from([1, 2, 3, 4]));
    const doubled = mapF32(device, 'a * 2.0', [src], 4);
    // The write must land after the kernel above has read `src`.
    backendOf(device).write(src, Float32Array.from([100, 100, 100, 100]));
    expect(await backendOf(device).read(doubled, Float32Array)).toEqual(
      Float32Array.from([2, 4, 6, 8]),
    );
    expect(await backendOf(device).read(src, Float32Array, 2, 1)).toEqual(
      Float32Array.from([100, 100]),
    );
  });

  it('refuses a read outside the buffer', async () => {
    const buf = backendOf(device).upload(new Float32Array(4));
    await expect(backendOf(device).read(buf, Float32Array, 5)).rejects.toThrow(RangeError);
  });
});

describe('kernels', () => {
  it('computes an elementwise kernel exactly like the CPU, for a size that is not a multiple of the workgroup', async () => {
    const n = 256 * 37 + 13;
    const a = Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 10);
    const b = Float32Array.from({ length: n }, (_, i) => (i % 17) - 8.5);
    const out = mapF32(
      device,
      'a * b + a',
      [backendOf(device).upload(a), backendOf(device).upload(b)],
      n,
    );
    const got = await backendOf(device).read(out, Float32Array);
    expect(got.length).toBe(n);
    for (let i = 0; i < n; i++) {
      // One f32 multiply and one add, each rounded: compute the same in f32 on the CPU.
      const expected = Math.fround(Math.fround(a[i]! * b[i]!) + a[i]!);
      if (got[i] !== expected) throw new Error(`element ${i}: got ${got[i]}, expected ${expected}`);
    }
  });

  it('folds a dispatch larger than one grid dimension into two dimensions', async () => {
    const limit = 64; // pretend the device allows only 64 workgroups per dimension
    const n = 256 * limit * 3 + 5;
    const [x, y] = gridFor(n, limit);
    expect(x).toBeLessThanOrEqual(limit);
    expect(x * y * 256).toBeGreaterThanOrEqual(n);
    // And on the real device, a buffer whose grid exceeds 65,535 workgroups in x.
    const big = 256 * 65_535 + 1000;
    const input = new Float32Array(big);
    for (let i = 0; i < big; i += 4099) input[i] = i;
    const out = await backendOf(device).read(
      mapF32(device, 'a + 1.0', [backendOf(device).upload(input)], big),
      Float32Array,
    );
    for (let i = 0; i < big; i += 4099) expect(out[i]).toBe(Math.fround(i + 1));
    expect(out[big - 1]).toBe(1);
  });

  it('reuses cached bind groups across pooled buffers and after a trim', async () => {
    const dev = device;
    const one = ones([64], { device: dev });
    for (let round = 0; round < 2; round++) {
      let y = add(one, one);
      for (let i = 0; i < 100; i++) {
        const next = add(y, one);
        y.dispose();
        y = next;
      }
      expect([...(await y.data())]).toEqual(new Array(64).fill(102));
      y.dispose();
      releasePooledMemory(dev);
    }
    one.dispose();
  });

  it('caches compiled pipelines by source', () => {
    const before = device.pipelineCount;
    backendOf(device).pipeline('@compute @workgroup_size(1) fn main() {}');
    backendOf(device).pipeline('@compute @workgroup_size(1) fn main() {}');
    expect(device.pipelineCount).toBe(before + 1);
  });
});

describe('kernel timer', () => {
  it('sums the GPU time of the compute passes between start and stop', async () => {
    if (!device.features.has('timestamp-query')) {
      expect(device.startGpuTimer()).toBe(false);
      return;
    }
    const n = 256 * 64;
    const src = backendOf(device).upload(new Float32Array(n).fill(1));
    // The timer covers what is encoded after start; this kernel is outside it.
    mapF32(device, 'a + 1.0', [src], n);
    expect(device.startGpuTimer()).toBe(true);
    const one = mapF32(device, 'a * 2.0', [src], n);
    device.submit();
    mapF32(device, 'a * 3.0', [one], n);
    const time = await device.stopGpuTimer();
    expect(time.passes).toBe(2);
    expect(time.untimedPasses).toBe(0);
    expect(time.ms).toBeGreaterThan(0);
    expect(time.ms).toBeLessThan(10_000);
    // Stopped: nothing more is timed.
    expect((await device.stopGpuTimer()).passes).toBe(0);
  });
});

describe('errors', () => {
  it('throws bad WGSL as a GpuValidationError with the line', async () => {
    await expect(backendOf(device).compile('fn main( {', 'main', 'broken')).rejects.toThrow(
      /WGSL kernel "broken" does not compile:\n {2}line 1:/,
    );
  });

  it('throws a validation error of an encoded batch from the next sync, not as a log line', async () => {
    const pipeline = backendOf(device).pipeline(
      '@group(0) @binding(0) var<storage, read_write> x: array<f32>;\n@compute @workgroup_size(1) fn main() { x[0] = 1.0; }',
    );
    // The kernel has one binding; give it two.
    backendOf(device).dispatch(
      pipeline,
      [backendOf(device).createBuffer(16), backendOf(device).createBuffer(16)],
      [1],
    );
    const error = await device.sync().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GpuValidationError);
    expect((error as Error).message).toMatch(/WebGPU rejected an operation/);
    // The device stays usable afterwards.
    const ok = mapF32(device, 'a', [backendOf(device).upload(Float32Array.of(5))], 1);
    expect(await backendOf(device).read(ok, Float32Array)).toEqual(Float32Array.of(5));
  });

  it('refuses a buffer over maxBufferSize as out of memory, naming the limit', () => {
    expect(() => backendOf(device).createBuffer(device.limits.maxBufferSize + 4, 'huge')).toThrow(
      GpuOutOfMemoryError,
    );
    expect(() => backendOf(device).createBuffer(device.limits.maxBufferSize + 4, 'huge')).toThrow(
      /maxBufferSize/,
    );
  });

  it('throws DeviceLostError for any use after the device is destroyed', async () => {
    const other = await Device.open();
    other.destroy();
    expect(other.isLost).toBe(true);
    expect(() => backendOf(other).upload(new Float32Array(1))).toThrow(DeviceLostError);
    await expect(other.sync()).rejects.toThrow(/destroyed/);
  });
});
