import { NoAdapterError } from './errors.js';
import type { DeviceOptions } from './options.js';

/**
 * Where `Device.open` finds WebGPU: the browser's `navigator.gpu`, or a Dawn instance in Node.
 * The package's two entry points differ only in this; the Node one (`src/index.ts`) installs
 * Dawn, so that a browser bundle never references dawn.node.
 */
export interface GpuSource {
  /** WebGPU's entry point for these options; throws `NoAdapterError` when there is none. */
  gpu(options: DeviceOptions): Promise<GPU>;
  /** What to tell the user when that entry point offers no adapter. */
  noAdapterHelp(): string;
}

/** The browser's WebGPU: `navigator.gpu` (secure contexts only: https or localhost). */
export const navigatorGpuSource: GpuSource = {
  async gpu() {
    const gpu = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
    if (!gpu) {
      throw new NoAdapterError(
        'This browser does not offer WebGPU (navigator.gpu is missing). WebGPU needs a recent ' +
          'Chrome, Edge or Safari (or Firefox where it is enabled) and a page served over https ' +
          'or from localhost; on Linux, Chromium may need WebGPU enabled ' +
          '(chrome://flags/#enable-unsafe-webgpu).',
      );
    }
    return gpu;
  },
  noAdapterHelp() {
    return (
      'The browser has WebGPU but offers no adapter: it may be turned off or block-listed for ' +
      'this GPU or driver (see chrome://gpu), or the browser was started with the GPU disabled.'
    );
  },
};

let current: GpuSource = navigatorGpuSource;

/** Makes `source` the one every later `Device.open` uses (the Node entry installs Dawn). */
export function setGpuSource(source: GpuSource): void {
  current = source;
}

/** The source `Device.open` uses now. */
export function gpuSource(): GpuSource {
  return current;
}
