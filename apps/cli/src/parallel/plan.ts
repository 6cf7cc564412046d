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
