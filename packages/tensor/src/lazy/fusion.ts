/**
 * Lazy elementwise fusion. Unary, scalar, cast and same-shape binary ops do not launch a
 * kernel: they give their output storage a *pending* expression over their inputs, and an
 * input that is itself pending is inlined into it. The expression runs as one generated kernel
 * when something needs the buffer — a read, a matmul, a reduction, a copy, a custom kernel — so
 * a chain like the gradient of sigmoid (`g · y · (1 − y)`) or the stable BCE
 * (`max(x, 0) − x·y + log(1 + exp(−|x|))`) is one pass over memory instead of one per op.
 *
 * Correctness rests on three rules:
 * - a storage computes the pending expressions that load it before it goes back to the pool
 *   (so memory is freed exactly when it would be without fusion, and a reused buffer never
 *   changes under a pending reader);
 * - before a storage is written in place (`assign`, a custom kernel's `updates`), the pending
 *   expressions that load it are computed (they must see the old values) and its own pending
 *   contents are dropped (the write wins);
 * - nothing else writes an existing storage: every other kernel writes a fresh output.
 *
 * Print any generated kernel with its expression with `describeKernel()` (tests do).
 */
import { backendOf, type Device } from '../device/device.js';
import type { WgslType } from '../dtype.js';
import { LINEAR_INDEX_WGSL, WORKGROUP_SIZE } from '../kernels/grid.js';
import { ENTRY_1D, launch, params, words } from '../kernels/launch.js';
import { type LazyNode, type Pending, Storage } from '../memory/storage.js';

/** Most distinct nodes of an expression fused into one kernel. */
const MAX_NODES = 64;
/** Most distinct input buffers of one fused kernel (WebGPU guarantees 8 storage bindings). */
const MAX_LOADS = 5;

/** An input of an elementwise op: its storage, size and element type. */
export interface Operand {
  storage: Storage;
  size: number;
  type: WgslType;
}

/**
 * The node through which an op reads `x` for an output of `outSize` elements: `x`'s pending
 * expression when it has one of the same size (inlined), else a load of its (computed)
 * buffer, broadcast when `x` holds one element.
 */
function nodeOf(x: Operand, outSize: number, inline: boolean): LazyNode {
  const pending = x.storage.pending;
  // Same size: element i of the output reads element i. A constant (no loads) fits any size.
  // Inside a traced step, a lazy tensor from before it is computed, not inlined: eagerly it is
  // computed once (at the latest when what it reads is written), never again by later steps.
  if (
    pending &&
    inline &&
    (x.size === outSize || pending.loads.length === 0) &&
    !fromBeforeTrace(x.storage)
  ) {
    return pending.node;
  }
  if (pending) realize(x.storage);
  return { kind: 'load', storage: x.storage, type: x.type, scalar: x.size === 1 && outSize !== 1 };
}

/** True for a storage made before the step being traced, if one is. */
function fromBeforeTrace(storage: Storage): boolean {
  const recording = backendOf(storage.device).recording;
  return recording !== undefined && !recording.storages.has(storage);
}

function loadsOf(node: LazyNode, into: Set<Storage>): Set<Storage> {
  if (node.kind === 'load') into.add(node.storage);
  else for (const a of node.args) loadsOf(a, into);
  return into;
}

/** Distinct nodes: a subexpression used twice (`y·(1 − y)`) is computed once in the kernel. */
function countNodes(node: LazyNode, seen = new Set<LazyNode>()): number {
  if (seen.has(node)) return 0;
  seen.add(node);
  return node.kind === 'load' ? 1 : 1 + node.args.reduce((n, a) => n + countNodes(a, seen), 0);
}

/**
 * Makes `out` (a fresh storage of `size` elements) pending on `expr` applied to `inputs`.
 * Inputs' own pending expressions are inlined while the result stays within the kernel
 * limits; past them, the inputs are computed first and loaded.
 */
export function fuse(
  out: Storage,
  size: number,
  op: Omit<Extract<LazyNode, { kind: 'op' }>, 'kind' | 'args'>,
  inputs: readonly Operand[],
): void {
  const build = (inline: boolean): LazyNode => ({
    kind: 'op',
    ...op,
    args: inputs.map((x) => nodeOf(x, size, inline)),
  });
  let node = build(true);
  let loads = loadsOf(node, new Set());
  let nodes = countNodes(node);
  if (loads.size > MAX_LOADS || nodes > MAX_NODES) {
    node = build(false);
    loads = loadsOf(node, new Set());
    nodes = countNodes(node);
  }
  const pending: Pending = { node, size, type: op.tout, loads: [...loads], nodes };
  out.setPending(pending);
}

/**
 * Makes `out` (a fresh storage of `x.size` elements) pending on `x` transposed in its last two
 * dims, the output being `[..., rows, cols]`. A matmul reads such a storage's source in place
 * with its transpose flag flipped ({@link transposedSource}); anything else computes it, fused
 * with the elementwise ops that read it. A pending `x` is computed first: its expression
 * indexes its inputs by output element, which a transposed read would scramble.
 */
export function fuseTranspose(out: Storage, x: Operand, rows: number, cols: number): void {
  if (x.storage.pending) realize(x.storage);
  const node: LazyNode = {
    kind: 'load',
    storage: x.storage,
    type: x.type,
    scalar: false,
    transpose: { rows, cols },
  };
  out.setPending({ node, size: x.size, type: x.type, loads: [x.storage], nodes: 1 });
}

/**
 * The storage that `storage` is a pending transpose of, with the transposed shape's last two
 * dims, or null when it is anything else.
 */
export function transposedSource(
  storage: Storage,
): { source: Storage; rows: number; cols: number } | null {
  const node = storage.pending?.node;
  if (node?.kind !== 'load' || !node.transpose) return null;
  return { source: node.storage, ...node.transpose };
}

Storage.realize = realize;

/** Computes a pending storage now: one kernel for its whole expression. */
export function realize(storage: Storage): void {
  const pending = storage.takePending();
  const device: Device = storage.device;
  // A lost device computes nothing; disposing tensors on it must still work.
  if (!pending || device.isLost) return;
  const kernel = generate(pending);
  // A lazy tensor from before a traced step is computed once, now, as it would be eagerly:
  // its kernel is not part of the step a replay repeats.
  const recording = backendOf(device).recording;
  const outside = fromBeforeTrace(storage);
  if (outside && recording) recording.paused++;
  try {
    launchPending(device, kernel, pending, storage);
  } finally {
    if (outside && recording) recording.paused--;
  }
}

function launchPending(device: Device, kernel: Kernel, pending: Pending, storage: Storage): void {
  launch(
    device,
    kernel.code,
    kernel.label,
    [
      params(device, [pending.size, ...kernel.scalars]),
      ...kernel.loads.map((s, j) => words(s.buffer, kernel.scalarLoad[j] ? 1 : pending.size)),
      words(storage.buffer, pending.size),
    ],
    { threads: pending.size },
  );
}

/**
 * Prepares `storage` for an in-place write: computes every pending expression that reads it
 * (they must see the values before the write). Its own pending contents are computed too when
 * the write reads them (`readsOld`, a read-modify-write kernel), else dropped (the write
 * replaces them all).
 */
export function beforeWrite(storage: Storage, readsOld: boolean): void {
  if (readsOld) realize(storage);
  else storage.dropPending();
  storage.realizeReaders();
}

interface Kernel {
  code: string;
  label: string;
  /** Distinct input storages, in binding order. */
  loads: Storage[];
  scalarLoad: boolean[];
  /** Scalar bits, in parameter order (after the element count). */
  scalars: number[];
}

/**
 * Element i of a `[..., rows, cols]` output in a `[..., cols, rows]` input: the same matrix,
 * row and column swapped.
 */
const TRANSPOSED_INDEX_WGSL = /* wgsl */ `
fn transposed(i: u32, rows: u32, cols: u32) -> u32 {
  let q = i % (rows * cols);
  return i - q + (q % cols) * rows + q / cols;
}
`;

/** Kernels by the shape of their expression (storages and scalar values left out). */
const kernels = new Map<string, { code: string; label: string }>();

function generate(pending: Pending): Kernel {
  const loads: Storage[] = [];
  const loadTypes: WgslType[] = [];
  const scalarLoad: boolean[] = [];
  const scalars: number[] = [];
  const names = new Map<LazyNode, string>();
  const lines: string[] = [];
  const sig: string[] = [];
  const ops: string[] = [];
  const loadNames = new Map<string, string>();
  let count = 0;
  let transposes = 0;
  const visit = (node: LazyNode): string => {
    const known = names.get(node);
    if (known) {
      sig.push(`@${known}`);
      return known;
    }
    if (node.kind === 'load') {
      let j = loads.indexOf(node.storage);
      if (j < 0) {
        j = loads.length;
        loads.push(node.storage);
        loadTypes.push(node.type);
        scalarLoad.push(node.scalar);
      }
      // Every read of one buffer (in one layout) is one let-line, however many ops read it.
      const readKey = node.transpose
        ? `${j}t${node.transpose.rows}x${node.transpose.cols}`
        : `${j}`;
      const loaded = loadNames.get(readKey);
      if (loaded) {
        names.set(node, loaded);
        sig.push(`@${loaded}`);
        return loaded;
      }
      const name = `v${count++}`;
      names.set(node, name);
      loadNames.set(readKey, name);
      let index = node.scalar ? '0u' : 'i';
      if (node.transpose) {
        // The matrix's rows and columns travel as parameters: one kernel for every shape.
        index = `transposed(i, p[${scalars.length + 1}], p[${scalars.length + 2}])`;
        scalars.push(node.transpose.rows, node.transpose.cols);
        transposes++;
      }
      sig.push(`L${j}${node.type}${node.scalar ? 's' : ''}${node.transpose ? 't' : ''}`);
      lines.push(`  let ${name} = in${j}[${index}];`);
      return name;
    }
    const args = node.args.map(visit);
    // Named after its arguments, so the let-lines read in order: v0, v1, … the result last.
    const name = `v${count++}`;
    names.set(node, name);
    let expr = node.expr
      .replace(/\ba\b/g, args[0] ?? 'a')
      .replace(/\bb\b/g, args[1] ?? 'b')
      .replace(/\bc\b/g, args[2] ?? 'c')
      .replace(/\bT\b/g, node.tin);
    if (node.scalarBits !== null) {
      expr = expr.replace(/\bs\b/g, `bitcast<${node.tin}>(p[${scalars.length + 1}])`);
      scalars.push(node.scalarBits);
    }
    if (node.boolOut) expr = `select(0u, 1u, ${expr})`;
    sig.push(
      `O(${node.expr}|${node.tin}|${node.tout}|${node.boolOut}|${node.scalarBits !== null})`,
    );
    ops.push(node.expr);
    lines.push(`  let ${name}: ${node.tout} = ${expr};`);
    return name;
  };
  const result = visit(pending.node);
  const key = `${sig.join(',')}>${pending.type}`;
  let kernel = kernels.get(key);
  if (!kernel) {
    const decls = loadTypes
      .map((type, j) => `@group(0) @binding(${j + 1}) var<storage, read> in${j}: array<${type}>;`)
      .join('\n');
    const code = /* wgsl */ `
const WG: u32 = ${WORKGROUP_SIZE}u;
// p[0] = element count, p[1..] = the scalars of the expression
@group(0) @binding(0) var<storage, read> p: array<u32>;
${decls}
@group(0) @binding(${loads.length + 1}) var<storage, read_write> out: array<${pending.type}>;
${transposes > 0 ? TRANSPOSED_INDEX_WGSL : ''}
@compute @workgroup_size(WG)
fn main(${ENTRY_1D}) {
  let i = ${LINEAR_INDEX_WGSL};
  if (i >= p[0]) { return; }
${lines.join('\n')}
  out[i] = ${result};
}
`;
    kernel = { code, label: ops.length ? `fused(${ops.join(' ; ')})` : 'transpose' };
    kernels.set(key, kernel);
  }
  return { code: kernel.code, label: kernel.label, loads, scalarLoad, scalars };
}

/** The WGSL of the kernel that would compute `storage` now, with its expression (debugging). */
export function describeKernel(storage: Storage): string | null {
  const pending = storage.pending;
  return pending ? generate(pending).code : null;
}
