import { createRequire } from 'node:module';

/**
 * What Dawn says about the adapter trm opens by default: vendor, architecture, description,
 * subgroup sizes, every feature and limit. Asked of WebGPU directly (not of a trm Device), so
 * features trm does not request, such as `chromium-experimental-subgroup-matrix`, show too.
 */
export async function probeAdapter() {
  const require = createRequire(createRequire(import.meta.url).resolve('@trm/tensor/package.json'));
  const { create, globals } = require('webgpu');
  for (const [k, v] of Object.entries(globals)) if (!(k in globalThis)) globalThis[k] = v;
  const gpu = create([]);
  const adapter = await gpu.requestAdapter();
  if (!adapter) {
    return {
      vendor: '',
      architecture: '',
      device: '',
      description: 'no adapter',
      features: [],
      limits: {},
    };
  }
  const info = adapter.info ?? {};
  const limits = {};
  for (const k in adapter.limits) limits[k] = adapter.limits[k];
  return {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    device: info.device ?? '',
    description: info.description ?? '',
    isFallbackAdapter: Boolean(info.isFallbackAdapter),
    subgroupMinSize: info.subgroupMinSize ?? null,
    subgroupMaxSize: info.subgroupMaxSize ?? null,
    features: [...adapter.features].sort(),
    limits,
  };
}
