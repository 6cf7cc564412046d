import type { Device } from '../device/device.js';
import { BYTES_PER_ELEMENT } from '../dtype.js';
import { poolFor } from './pool.js';

/**
 * A pooled GPU buffer shared by a tensor and its views (reshape, detach), reference-counted:
 * the buffer returns to the pool when the last tensor using it is disposed.
 */
export class Storage {
  private refs = 1;

  private constructor(
    readonly device: Device,
    readonly buffer: GPUBuffer,
  ) {}

  /** A fresh storage for `elements` 32-bit elements, from the device's pool. */
  static alloc(device: Device, elements: number, label = 'tensor'): Storage {
    const bytes = Math.max(elements, 1) * BYTES_PER_ELEMENT;
    return new Storage(device, poolFor(device).acquire(bytes, label));
  }

  retain(): this {
    this.refs++;
    return this;
  }

  release(): void {
    this.refs--;
    if (this.refs === 0) poolFor(this.device).release(this.buffer);
  }
}
