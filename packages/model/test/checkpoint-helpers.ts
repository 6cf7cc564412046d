import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HostTensor } from '../src/checkpoint/index.js';

export const FIXTURES = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  'fixtures',
  'checkpoint',
);

export const fixture = (name: string): string => join(FIXTURES, name);

export interface ExpectedTensor {
  dtype: string;
  shape: number[];
  values: Array<number | string>;
}

export interface Expected {
  state_dict: Record<string, ExpectedTensor>;
  safetensors: { metadata: Record<string, string>; tensors: Record<string, ExpectedTensor> };
}

export const expected: Expected = JSON.parse(readFileSync(fixture('expected.json'), 'utf8'));

/** Decodes the JSON encoding of make_fixtures.py: "nan"/"inf"/"-inf" floats, I64 as strings. */
export function decodeValues(t: ExpectedTensor): Array<number | bigint> {
  return t.values.map((v) => {
    if (t.dtype === 'I64') return BigInt(v);
    if (v === 'nan') return Number.NaN;
    if (v === 'inf') return Number.POSITIVE_INFINITY;
    if (v === '-inf') return Number.NEGATIVE_INFINITY;
    return v as number;
  });
}

/** Encodes a host tensor like read_safetensors.py's `describe`. */
export function describeTensor(t: HostTensor): ExpectedTensor {
  const values = Array.from(t.data as ArrayLike<number | bigint>, (v) => {
    if (typeof v === 'bigint') return v.toString();
    if (Number.isNaN(v)) return 'nan';
    if (v === Number.POSITIVE_INFINITY) return 'inf';
    if (v === Number.NEGATIVE_INFINITY) return '-inf';
    return v;
  });
  return { dtype: t.dtype, shape: t.shape, values };
}

let python: string | null | undefined;

/** A Python interpreter that can `import torch`, or null (then interop tests are skipped). */
export function pythonWithTorch(): string | null {
  if (python !== undefined) return python;
  python = null;
  for (const candidate of [process.env.TRM_PYTHON, '/usr/bin/python3', 'python3']) {
    if (!candidate) continue;
    const r = spawnSync(candidate, ['-c', 'import torch'], { stdio: 'ignore', timeout: 60_000 });
    if (r.status === 0) {
      python = candidate;
      break;
    }
  }
  return python;
}
