import { backendOf, type Device } from '../device/device.js';
import { LINEAR_INDEX_WGSL, WORKGROUP_SIZE } from './grid.js';
import { launch } from './launch.js';

/**
 * An f32 elementwise kernel: `out[i] = expr(a[i], b[i], …)` where the inputs are named
 * `a`, `b`, `c`, … in the expression. Example: `mapKernel('a * b + 1.0', 2)`.
 */
export function mapKernelSource(expr: string, arity: number): string {
  const names = inputNames(arity);
  const inputs = names
    .map((n, i) => `@group(0) @binding(${i}) var<storage, read> in_${n}: array<f32>;`)
    .join('\n');
  const loads = names.map((n) => `  let ${n} = in_${n}[i];`).join('\n');
  return /* wgsl */ `
const WG: u32 = ${WORKGROUP_SIZE}u;
${inputs}
@group(0) @binding(${arity}) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(${WORKGROUP_SIZE})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_id) lid: vec3u) {
  let i = ${LINEAR_INDEX_WGSL};
  if (i >= arrayLength(&out)) { return; }
${loads}
  out[i] = ${expr};
}
`;
}

/**
 * @internal For the backend's own tests: runs an elementwise f32 expression over `length` elements of equally sized input buffers
 * and returns a new output buffer. The work is encoded, not yet submitted.
 */
export function mapF32(
  device: Device,
  expr: string,
  inputs: readonly GPUBuffer[],
  length: number,
): GPUBuffer {
  for (const [i, buffer] of inputs.entries()) {
    if (buffer.size < length * 4) {
      throw new RangeError(
        `Input ${i} holds ${buffer.size / 4} f32 values, fewer than the ${length} requested.`,
      );
    }
  }
  const out = backendOf(device).createBuffer(length * 4, `map(${expr})`);
  // The kernel sizes itself by arrayLength(out), so bind exactly `length` elements.
  launch(
    device,
    mapKernelSource(expr, inputs.length),
    `map(${expr})`,
    [...inputs.map((buffer) => ({ buffer, size: length * 4 })), { buffer: out, size: length * 4 }],
    { threads: length },
  );
  return out;
}

function inputNames(arity: number): string[] {
  if (arity < 1 || arity > 8)
    throw new RangeError(`an elementwise kernel takes 1 to 8 inputs, not ${arity}`);
  return 'abcdefgh'.slice(0, arity).split('');
}
