import { ConfigError } from '../errors.js';
import { type DeviceSlot, listAdapters, parseDevicesFlag, planDevices } from './devices.js';

/**
 * The device of every rank for a `--devices` value; one slot (the default adapter, in this
 * process) when the flag is absent or asks for a single device.
 */
export async function devicesFor(flag: string | undefined): Promise<DeviceSlot[]> {
  if (flag === undefined) return [{ rank: 0, adapterIndex: null, adapterName: undefined }];
  const spec = parseDevicesFlag(flag);
  if (spec.kind === 'count' && spec.count === 1)
    return [{ rank: 0, adapterIndex: null, adapterName: undefined }];
  return planDevices(spec, await listAdapters());
}

/**
 * Refuses a global batch that does not split evenly over the devices, before any worker
 * starts (`what` names the setting, `fix` says how to change it).
 */
export function assertEvenSplit(what: string, globalBatch: number, devices: number, fix: string) {
  if (globalBatch % devices !== 0)
    throw new ConfigError(
      `${what} ${globalBatch} does not divide evenly over ${devices} devices; ${fix} with a multiple of ${devices}.`,
    );
}
