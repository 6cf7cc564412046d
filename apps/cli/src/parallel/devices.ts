import { Device } from '@trm/tensor';
import { UsageError } from '../errors.js';

/** One adapter as Dawn lists it. */
export interface AdapterEntry {
  backend: string;
  name: string;
}

/** Where one rank opens its device. */
export interface DeviceSlot {
  rank: number;
  /** Index into the adapter list, or null for "the default adapter". */
  adapterIndex: number | null;
  /** Dawn's `adapter` flag for this rank (a name to match), or undefined for the default. */
  adapterName: string | undefined;
}

/**
 * Parses `--devices`: `N` (a count), `all` (one device per adapter) or a comma-separated list
 * of adapter indices (`0,2`; `1,` for adapter 1 alone; `0,0` opens two devices on adapter 0).
 */
export function parseDevicesFlag(
  value: string,
): { kind: 'count'; count: number } | { kind: 'all' } | { kind: 'list'; indices: number[] } {
  const v = value.trim();
  if (v === 'all') return { kind: 'all' };
  if (/^\d+$/.test(v)) {
    const count = Number(v);
    if (count < 1 || count > 64)
      throw new UsageError(`--devices ${value}: the number of devices must be between 1 and 64.`);
    return { kind: 'count', count };
  }
  if (/^\d+(,\d*)+$/.test(v)) {
    const indices = v
      .split(',')
      .filter((s) => s !== '')
      .map(Number);
    if (indices.length > 64)
      throw new UsageError(`--devices ${value}: at most 64 devices are supported.`);
    return { kind: 'list', indices };
  }
  throw new UsageError(
    `--devices ${value}: expected a count (4), "all", or adapter indices separated by commas (0,2; "1," for adapter 1 alone).`,
  );
}

/**
 * The adapters Dawn can open, in its order. dawn.node has no enumeration call, but its
 * refusal to match an impossible adapter name lists every adapter; anything unexpected in
 * that message yields an empty list (callers then use the default adapter).
 */
export async function listAdapters(): Promise<AdapterEntry[]> {
  try {
    const device = await Device.open({ adapter: '\u0001trm-list-adapters' });
    device.destroy();
    return [];
  } catch (error) {
    const message = String((error as Error).message ?? '');
    const entries: AdapterEntry[] = [];
    for (const m of message.matchAll(/\* backend: '([^']*)', name: '([^']*)'/g)) {
      entries.push({ backend: m[1]!, name: m[2]! });
    }
    return entries;
  }
}

/**
 * Assigns a device to every rank. A count larger than the number of adapters is allowed only
 * on a machine with one adapter (all ranks then share it: how the tests run on lavapipe).
 * dawn.node picks an adapter by name, so two adapters with the same name cannot both be
 * used; that is refused here rather than silently putting two ranks on one GPU.
 */
export function planDevices(
  spec: ReturnType<typeof parseDevicesFlag>,
  adapters: readonly AdapterEntry[],
): DeviceSlot[] {
  const describe = () =>
    adapters.length === 0
      ? 'Dawn did not list its adapters'
      : `adapters: ${adapters.map((a, i) => `${i} ${a.name} (${a.backend})`).join('; ')}`;
  let indices: (number | null)[];
  if (spec.kind === 'count') {
    if (adapters.length <= 1) indices = Array(spec.count).fill(adapters.length === 1 ? 0 : null);
    else if (spec.count <= adapters.length) indices = [...Array(spec.count).keys()];
    else
      throw new UsageError(
        `--devices ${spec.count}: this machine has ${adapters.length} adapters (${describe()}). Ask for at most ${adapters.length}, or list adapter indices (repeats open several devices on one adapter, e.g. --devices 0,0,1,1).`,
      );
  } else if (spec.kind === 'all') {
    indices = adapters.length === 0 ? [null] : [...adapters.keys()];
  } else {
    for (const i of spec.indices) {
      if (i >= Math.max(adapters.length, 1))
        throw new UsageError(`--devices: there is no adapter ${i} (${describe()}).`);
    }
    indices = adapters.length === 0 ? spec.indices.map(() => null) : spec.indices;
  }
  if (adapters.length > 1) {
    for (const i of new Set(indices)) {
      if (i === null) continue;
      const first = adapters.findIndex((a) => a.name.includes(adapters[i]!.name));
      if (first !== i)
        throw new UsageError(
          `--devices: adapter ${i} (${adapters[i]!.name}) cannot be selected because adapter ${first} matches the same name, and dawn.node selects adapters by name only. Use adapter ${first}, or run one process per GPU (see the multi-device guide).`,
        );
    }
  }
  return indices.map((adapterIndex, rank) => ({
    rank,
    adapterIndex,
    adapterName:
      adapterIndex === null || adapters.length <= 1 ? undefined : adapters[adapterIndex]!.name,
  }));
}
