import { describe, expect, it } from 'vitest';
import { parseDevicesFlag, planDevices } from '../src/parallel/devices.js';

const one = [{ backend: 'vulkan', name: 'llvmpipe (LLVM 15.0.6, 256 bits)' }];
const two = [
  { backend: 'vulkan', name: 'NVIDIA GeForce RTX 4090' },
  { backend: 'vulkan', name: 'AMD Radeon Graphics (RADV RAPHAEL_MENDOCINO)' },
];
const twins = [
  { backend: 'vulkan', name: 'NVIDIA H200' },
  { backend: 'vulkan', name: 'NVIDIA H200' },
];

describe('--devices', () => {
  it('parses counts, all and index lists', () => {
    expect(parseDevicesFlag('4')).toEqual({ kind: 'count', count: 4 });
    expect(parseDevicesFlag('all')).toEqual({ kind: 'all' });
    expect(parseDevicesFlag('0,2')).toEqual({ kind: 'list', indices: [0, 2] });
    expect(parseDevicesFlag('1,')).toEqual({ kind: 'list', indices: [1] });
    expect(parseDevicesFlag('0,0,1')).toEqual({ kind: 'list', indices: [0, 0, 1] });
    for (const bad of ['', '0', '-1', 'two', '0,x', '1.5', '65'])
      expect(() => parseDevicesFlag(bad), bad).toThrow(/--devices/);
  });

  it('opens N devices on the only adapter', () => {
    const slots = planDevices({ kind: 'count', count: 4 }, one);
    expect(slots.map((s) => [s.rank, s.adapterIndex, s.adapterName])).toEqual([
      [0, 0, undefined],
      [1, 0, undefined],
      [2, 0, undefined],
      [3, 0, undefined],
    ]);
    // Without an adapter list (Dawn did not say), every rank takes the default adapter.
    expect(planDevices({ kind: 'count', count: 2 }, []).map((s) => s.adapterIndex)).toEqual([
      null,
      null,
    ]);
  });

  it('spreads ranks over distinct adapters by name', () => {
    expect(planDevices({ kind: 'count', count: 2 }, two).map((s) => s.adapterName)).toEqual([
      two[0]!.name,
      two[1]!.name,
    ]);
    expect(planDevices({ kind: 'all' }, two)).toHaveLength(2);
    expect(planDevices({ kind: 'list', indices: [1, 1] }, two).map((s) => s.adapterIndex)).toEqual([
      1, 1,
    ]);
    expect(() => planDevices({ kind: 'count', count: 3 }, two)).toThrow(/has 2 adapters/);
    expect(() => planDevices({ kind: 'list', indices: [0, 2] }, two)).toThrow(/no adapter 2/);
  });

  it('refuses adapters that dawn.node cannot tell apart', () => {
    expect(() => planDevices({ kind: 'count', count: 2 }, twins)).toThrow(
      /adapter 1 \(NVIDIA H200\) cannot be selected because adapter 0 matches the same name/,
    );
    expect(planDevices({ kind: 'list', indices: [0, 0] }, twins)).toHaveLength(2);
  });
});
