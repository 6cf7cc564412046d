/**
 * Errors raised by the device layer. WebGPU reports most failures asynchronously through
 * error scopes or the `lost` promise; we turn each into a thrown error of one of these
 * classes so callers never have to watch the console for problems.
 */

/**
 * Base class of every error the device layer throws.
 *
 * @group Errors
 */
export class GpuError extends Error {
  override name = 'GpuError';
}

/**
 * No WebGPU adapter could be found: no GPU driver, or no usable software driver.
 *
 * @group Errors
 */
export class NoAdapterError extends GpuError {
  override name = 'NoAdapterError';
}

/**
 * WebGPU rejected a call as invalid (bad WGSL, wrong bindings, a buffer over the limits…).
 *
 * @group Errors
 */
export class GpuValidationError extends GpuError {
  override name = 'GpuValidationError';
}

/**
 * The device could not allocate memory for a buffer or pipeline.
 *
 * @group Errors
 */
export class GpuOutOfMemoryError extends GpuError {
  override name = 'GpuOutOfMemoryError';
}

/**
 * The device was lost (driver reset, `destroy()`, or a fatal internal error).
 *
 * @group Errors
 */
export class DeviceLostError extends GpuError {
  override name = 'DeviceLostError';
  constructor(
    message: string,
    /** `'destroyed'` when the device was destroyed on purpose, `'unknown'` otherwise. */
    readonly reason: string,
  ) {
    super(message);
  }
}

/** The platform Node runs on, or `'unknown'` where there is no `process` (a browser). */
function hostPlatform(): string {
  return typeof process === 'undefined' ? 'unknown' : process.platform;
}

/** Explains how to get a WebGPU adapter on the current platform. */
export function noAdapterHelp(platform: NodeJS.Platform | string = hostPlatform()): string {
  switch (platform) {
    case 'linux':
      return [
        "Dawn talks to the GPU through Vulkan on Linux. Install your GPU vendor's Vulkan driver,",
        'or, on a machine without a GPU, the Mesa lavapipe CPU driver:',
        '  Debian 12:  echo "deb http://deb.debian.org/debian bookworm-backports main" > /etc/apt/sources.list.d/bookworm-backports.list',
        '              apt-get update && apt-get install -y -t bookworm-backports libvulkan1 mesa-vulkan-drivers',
        '  Ubuntu / newer Debian:  apt-get install -y libvulkan1 mesa-vulkan-drivers',
        'or run `bash scripts/setup-webgpu.sh` from the trm repository, which does this for you.',
        "Debian 12's own Mesa (22.x) is too old for Dawn; the backports one (Mesa 25) works.",
        'If a driver is installed, check that VK_DRIVER_FILES / VK_ICD_FILENAMES do not point elsewhere.',
      ].join('\n');
    case 'darwin':
      return 'On macOS Dawn uses Metal, available on every Mac since 2012: update macOS, and check the `backend` option is "metal" or unset.';
    case 'win32':
      return 'On Windows Dawn uses Direct3D 12: install or update your GPU driver (or the Windows "Microsoft Basic Render Driver" for a software adapter).';
    default:
      return `No WebGPU backend is known to work on ${platform}; install a Vulkan driver if one exists for it.`;
  }
}

/** Turns the info of a `GPUDeviceLostInfo` into our error. */
export function lostError(info: GPUDeviceLostInfo): DeviceLostError {
  const why = info.reason === 'destroyed' ? 'it was destroyed' : 'the driver or GPU failed';
  const detail = info.message ? `: ${info.message.trim()}` : '';
  return new DeviceLostError(`The WebGPU device was lost because ${why}${detail}`, info.reason);
}
