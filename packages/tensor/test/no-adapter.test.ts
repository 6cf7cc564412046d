import { describe, expect, it } from 'vitest';
import { Device, NoAdapterError, noAdapterHelp } from '../src/index.js';

// Vitest runs each test file in its own forked process (pool: 'forks'), and the Vulkan loader
// reads these variables when Dawn creates its instance, so pointing them at a driver list that
// does not exist makes this process see no adapter at all, without touching other test files.
process.env.VK_DRIVER_FILES = '/nonexistent/trm-no-driver.json';
process.env.VK_ICD_FILENAMES = '/nonexistent/trm-no-driver.json';

describe('no adapter', () => {
  it.skipIf(process.platform !== 'linux')(
    'explains the cause and the exact fix when Vulkan has no driver',
    async () => {
      const error = await Device.open({ backend: 'vulkan' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NoAdapterError);
      const message = (error as Error).message;
      expect(message).toContain('No WebGPU adapter was found for the "vulkan" backend');
      expect(message).toContain('lavapipe');
      expect(message).toContain(
        'apt-get install -y -t bookworm-backports libvulkan1 mesa-vulkan-drivers',
      );
    },
  );

  it('gives platform-specific advice', () => {
    expect(noAdapterHelp('darwin')).toMatch(/Metal/);
    expect(noAdapterHelp('win32')).toMatch(/Direct3D 12/);
    expect(noAdapterHelp('linux')).toMatch(/lavapipe/);
  });
});
