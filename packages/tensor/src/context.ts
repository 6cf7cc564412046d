import type { Device } from './device/device.js';
import { TensorError } from './errors.js';

let defaultDevice: Device | undefined;

/** Sets the device creators use when no `device` option is given (`undefined` clears it). */
export function setDefaultDevice(device: Device | undefined): void {
  defaultDevice = device;
}

/** The default device; throws if none was set. */
export function getDefaultDevice(): Device {
  if (!defaultDevice) {
    throw new TensorError(
      'No default device: call setDefaultDevice(await Device.open()) first, or pass { device }.',
    );
  }
  if (defaultDevice.isLost) {
    throw new TensorError(
      'The default device was destroyed; set a new one with setDefaultDevice().',
    );
  }
  return defaultDevice;
}
