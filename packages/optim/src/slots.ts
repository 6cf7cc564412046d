import type { Device } from '@trm/tensor';

/**
 * One parameter as the optimisers see it: its current value and gradient as GPU buffers of
 * `size` f32 elements. Optimisers keep their own state per `name`, so buffers may change from
 * step to step (gradients usually do) while the state stays attached to the parameter.
 */
export interface ParamSlot {
  readonly name: string;
  readonly size: number;
  readonly value: GPUBuffer;
  /** `null` when the parameter received no gradient this step; it is then left alone. */
  readonly grad: GPUBuffer | null;
}

/** Elements per 256-byte block: storage bindings must start at 256-byte aligned offsets. */
export const ALIGN_ELEMENTS = 64;

export function alignUp(n: number, to = ALIGN_ELEMENTS): number {
  return Math.ceil(n / to) * to;
}

/**
 * Optimiser state laid out flat: every parameter's segment of a few state vectors (moments)
 * lives in one buffer per vector, at 256-byte aligned offsets, so saving and restoring the
 * state is one read or write per vector.
 */
export class FlatState {
  readonly offsets = new Map<string, { offset: number; size: number }>();
  readonly buffers: GPUBuffer[] = [];
  readonly totalElements: number;

  constructor(
    private readonly device: Device,
    slots: readonly Pick<ParamSlot, 'name' | 'size'>[],
    vectors: number,
    label: string,
  ) {
    let offset = 0;
    for (const { name, size } of slots) {
      if (this.offsets.has(name)) throw new Error(`${label}: parameter "${name}" is listed twice`);
      this.offsets.set(name, { offset, size });
      offset += alignUp(size);
    }
    this.totalElements = Math.max(offset, ALIGN_ELEMENTS);
    for (let i = 0; i < vectors; i++) {
      const buffer = device.createBuffer(this.totalElements * 4, `${label}.state${i}`);
      this.buffers.push(buffer);
    }
    this.zero();
  }

  segment(name: string, label: string): { offset: number; size: number } {
    const seg = this.offsets.get(name);
    if (!seg) {
      throw new Error(
        `${label}: unknown parameter "${name}"; the optimiser was built for ${[...this.offsets.keys()].join(', ')}`,
      );
    }
    return seg;
  }

  zero(): void {
    for (const buffer of this.buffers)
      this.device.write(buffer, new Float32Array(this.totalElements));
  }

  async read(): Promise<Float32Array[]> {
    return Promise.all(
      this.buffers.map((b) => this.device.read(b, Float32Array, this.totalElements)),
    );
  }

  async toRecord(): Promise<Record<string, Float32Array>[]> {
    const flat = await this.read();
    return flat.map((vector) =>
      Object.fromEntries(
        [...this.offsets].map(([name, { offset, size }]) => [
          name,
          vector.slice(offset, offset + size),
        ]),
      ),
    );
  }

  load(vectors: readonly Record<string, Float32Array>[], label: string): void {
    if (vectors.length !== this.buffers.length) {
      throw new Error(
        `${label}: state has ${vectors.length} vectors, expected ${this.buffers.length}`,
      );
    }
    vectors.forEach((record, i) => {
      const flat = new Float32Array(this.totalElements);
      for (const [name, { offset, size }] of this.offsets) {
        const values = record[name];
        if (!values) throw new Error(`${label}: saved state has no entry for parameter "${name}"`);
        if (values.length !== size) {
          throw new Error(
            `${label}: saved state for "${name}" has ${values.length} values, expected ${size}`,
          );
        }
        flat.set(values, offset);
      }
      const extra = Object.keys(record).filter((k) => !this.offsets.has(k));
      if (extra.length)
        throw new Error(`${label}: saved state has unknown parameters ${extra.join(', ')}`);
      this.device.write(this.buffers[i]!, flat);
    });
  }
}

/**
 * Per-dispatch scalars packed into one storage buffer, one 256-byte record per parameter, so a
 * whole optimiser step costs a single upload.
 */
export function packRecords(
  records: readonly ArrayLike<number>[],
  kinds: readonly ('f32' | 'u32')[],
): ArrayBuffer {
  const stride = 256;
  const buffer = new ArrayBuffer(Math.max(1, records.length) * stride);
  const f32 = new Float32Array(buffer);
  const u32 = new Uint32Array(buffer);
  records.forEach((record, i) => {
    for (let j = 0; j < record.length; j++) {
      const at = (i * stride) / 4 + j;
      if (kinds[j] === 'u32') u32[at] = record[j]!;
      else f32[at] = record[j]!;
    }
  });
  return buffer;
}
