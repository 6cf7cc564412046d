import { type Tensor, TensorError } from '@trm/tensor';

/**
 * The parameters an optimiser updates: `[name, tensor]` pairs (what `module.namedParameters()`
 * returns), or bare tensors, then named by position. Names key the optimiser state in
 * `stateDict()`, so a checkpoint restores each moment to its parameter.
 */
export type Parameters = Iterable<readonly [string, Tensor]> | readonly Tensor[];

/** The parameters as a named list, checked: f32, live, each name once. */
export function namedList(params: Parameters, label: string): [string, Tensor][] {
  const list: [string, Tensor][] = [];
  let index = 0;
  for (const entry of params as Iterable<readonly [string, Tensor] | Tensor>) {
    const [name, t] = Array.isArray(entry)
      ? (entry as readonly [string, Tensor])
      : [String(index), entry as Tensor];
    index += 1;
    t.assertLive();
    if (t.dtype !== 'f32') {
      throw new TensorError(
        `${label}: parameter "${name}" is ${t.describe()}; only f32 tensors are optimised.`,
      );
    }
    if (list.some(([n]) => n === name))
      throw new TensorError(`${label}: parameter "${name}" is listed twice`);
    list.push([name, t]);
  }
  return list;
}

/** Per-parameter state vectors read back to the host, by parameter name. */
export async function readState(
  state: ReadonlyMap<string, Tensor>,
): Promise<Record<string, Float32Array>> {
  const out: Record<string, Float32Array> = {};
  for (const [name, t] of state) out[name] = (await t.data()) as Float32Array;
  return out;
}

/** Writes saved state vectors back, refusing missing, extra or wrongly sized entries. */
export function loadState(
  state: ReadonlyMap<string, Tensor>,
  saved: Record<string, Float32Array>,
  label: string,
): void {
  for (const [name, t] of state) {
    const values = saved[name];
    if (!values) throw new Error(`${label}: saved state has no entry for parameter "${name}"`);
    if (values.length !== t.size) {
      throw new Error(
        `${label}: saved state for "${name}" has ${values.length} values, expected ${t.size}`,
      );
    }
  }
  const extra = Object.keys(saved).filter((k) => !state.has(k));
  if (extra.length)
    throw new Error(`${label}: saved state has unknown parameters ${extra.join(', ')}`);
  for (const [name, t] of state) t.assign(saved[name]!);
}
