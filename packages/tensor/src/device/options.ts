/** Which native graphics API Dawn should use. */
export type Backend = 'vulkan' | 'metal' | 'd3d12' | 'd3d11' | 'opengl' | 'opengles' | 'null';

/**
 * How to choose and open a WebGPU device. Every field is optional. `backend`, `adapter` and the
 * toggles are Dawn's (Node); a browser picks its adapter itself and ignores them.
 */
export interface DeviceOptions {
  /** Native backend; by default Dawn picks the platform's best one. */
  backend?: Backend;
  /**
   * Adapter name, as Dawn lists it (e.g. `"llvmpipe (LLVM 15.0.6, 256 bits)"` or
   * `"NVIDIA H100"`). Dawn matches a prefix of the name.
   */
  adapter?: string;
  /** Prefer the discrete or the integrated GPU when the machine has both. */
  powerPreference?: 'low-power' | 'high-performance';
  /** Dawn toggles to turn on or off (see Dawn's Toggles.cpp), e.g. `allow_unsafe_apis`. */
  enableToggles?: string[];
  disableToggles?: string[];
  /** Also ask for `shader-f16` and `timestamp-query` when the adapter has them (default true). */
  optionalFeatures?: boolean;
}

const BACKENDS: readonly Backend[] = [
  'vulkan',
  'metal',
  'd3d12',
  'd3d11',
  'opengl',
  'opengles',
  'null',
];

/** Checks options at the boundary, so a typo fails here and not deep inside Dawn. */
export function validateOptions(options: DeviceOptions): void {
  if (options.backend !== undefined && !BACKENDS.includes(options.backend)) {
    throw new TypeError(
      `Unknown WebGPU backend "${String(options.backend)}"; expected one of ${BACKENDS.join(', ')}.`,
    );
  }
  if (
    options.powerPreference !== undefined &&
    options.powerPreference !== 'low-power' &&
    options.powerPreference !== 'high-performance'
  ) {
    throw new TypeError(
      `Unknown powerPreference "${String(options.powerPreference)}"; expected "low-power" or "high-performance".`,
    );
  }
  if (
    options.adapter !== undefined &&
    (typeof options.adapter !== 'string' || options.adapter === '')
  ) {
    throw new TypeError('The adapter option must be a non-empty adapter name.');
  }
}

/** Translates options into the string flags of dawn.node's `create()`. */
export function dawnFlags(options: DeviceOptions): string[] {
  const flags: string[] = [];
  if (options.backend) flags.push(`backend=${options.backend}`);
  if (options.adapter) flags.push(`adapter=${options.adapter}`);
  if (options.enableToggles?.length)
    flags.push(`enable-dawn-features=${options.enableToggles.join(',')}`);
  if (options.disableToggles?.length)
    flags.push(`disable-dawn-features=${options.disableToggles.join(',')}`);
  return flags;
}
