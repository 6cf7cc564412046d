/**
 * The browser entry point (src/browser.ts) opens devices on `navigator.gpu`. Node has no such
 * thing, so these tests stand one up: missing, offering no adapter, and Dawn's own GPU object
 * behind it, on which the browser build then computes. This file must not import src/index.ts,
 * which would install Dawn as the source of every device.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Device, NoAdapterError, setDefaultDevice, tensor } from '../src/browser.js';

const original = Object.getOwnPropertyDescriptor(globalThis, 'navigator');

function setNavigator(value: unknown): void {
  Object.defineProperty(globalThis, 'navigator', { value, configurable: true, writable: true });
}

afterEach(() => {
  if (original) Object.defineProperty(globalThis, 'navigator', original);
  else delete (globalThis as { navigator?: unknown }).navigator;
});

describe('@trm/tensor in a browser', () => {
  it('says the browser has no WebGPU when navigator.gpu is missing', async () => {
    setNavigator({});
    const error = await Device.open().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NoAdapterError);
    expect((error as Error).message).toMatch(/navigator\.gpu is missing/);
  });

  it('says WebGPU offers no adapter, with browser advice rather than Vulkan drivers', async () => {
    setNavigator({ gpu: { requestAdapter: async () => null } });
    const error = await Device.open().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NoAdapterError);
    expect((error as Error).message).toMatch(/No WebGPU adapter was found/);
    expect((error as Error).message).toMatch(/chrome:\/\/gpu/);
    expect((error as Error).message).not.toMatch(/lavapipe/);
  });

  it('opens a device on navigator.gpu and computes on it', async () => {
    // Dawn's GPU object plays the browser's: the same WebGPU API, and its globals
    // (GPUBufferUsage, …) installed as a browser has them.
    const dawn = (await import('webgpu')) as unknown as {
      create(flags: string[]): GPU;
      globals: Record<string, unknown>;
    };
    for (const [key, value] of Object.entries(dawn.globals)) {
      if (!(key in globalThis)) (globalThis as Record<string, unknown>)[key] = value;
    }
    setNavigator({ gpu: dawn.create([]) });
    const device = await Device.open();
    try {
      setDefaultDevice(device);
      const sum = tensor([1, 2, 3]).add(tensor([10, 20, 30]));
      expect([...((await sum.data()) as Float32Array)]).toEqual([11, 22, 33]);
    } finally {
      device.destroy();
    }
  });
});
