import { paceDawnPolling } from './dawn-polling.js';
import { GpuError, NoAdapterError, noAdapterHelp } from './errors.js';
import type { GpuSource } from './gpu-source.js';
import { type DeviceOptions, dawnFlags } from './options.js';

/** What dawn.node's `webgpu` package exports. */
interface WebGpuModule {
  create(flags: string[]): GPU;
  globals: Record<string, unknown>;
}

let loaded: Promise<WebGpuModule> | undefined;

/**
 * Loads dawn.node lazily, so importing `@trm/tensor` costs nothing until a device is opened,
 * and installs the WebGPU globals (`GPUBufferUsage`, …) that WebGPU code expects to find.
 */
export function loadWebGpu(): Promise<WebGpuModule> {
  loaded ??= import('webgpu').then(
    (imported) => {
      const mod = imported as unknown as WebGpuModule;
      for (const [key, value] of Object.entries(mod.globals)) {
        if (!(key in globalThis)) (globalThis as Record<string, unknown>)[key] = value;
      }
      return mod;
    },
    (cause: unknown) => {
      loaded = undefined;
      throw new GpuError(
        `Could not load dawn.node from the "webgpu" package (${(cause as Error).message}). ` +
          `Reinstall dependencies with build scripts allowed for webgpu (pnpm: allowBuilds.webgpu=true), ` +
          `and check that ${process.platform}-${process.arch} is a supported platform.`,
        { cause },
      );
    },
  );
  return loaded;
}

const instances = new Map<string, GPU>();

/**
 * One Dawn instance per set of flags, kept for the life of the process. Creating and
 * dropping instances repeatedly (a test suite opening many devices) has deadlocked Dawn's
 * event processing; a shared instance costs nothing and does not keep the process alive.
 */
export function sharedInstance(mod: WebGpuModule, flags: readonly string[]): GPU {
  const key = flags.join('\u0000');
  let gpu = instances.get(key);
  if (!gpu) {
    gpu = mod.create([...flags]);
    instances.set(key, gpu);
  }
  return gpu;
}

/**
 * WebGPU in Node: a shared Dawn instance created with the flags of the options (backend,
 * adapter, toggles), its event polling paced (`dawn-polling.ts`). Only the Node entry point
 * imports this module.
 */
export const dawnGpuSource: GpuSource = {
  async gpu(options: DeviceOptions) {
    const mod = await loadWebGpu();
    paceDawnPolling();
    try {
      return sharedInstance(mod, dawnFlags(options));
    } catch (cause) {
      throw new NoAdapterError(
        `Dawn could not start with ${JSON.stringify(options)}: ${(cause as Error).message.trim()}`,
        { cause },
      );
    }
  },
  noAdapterHelp: () => noAdapterHelp(),
};
