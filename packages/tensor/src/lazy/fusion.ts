/**
 * Lazy fusion. Elementwise ops (unary, scalar, cast, `where`, and binary ops with broadcasting),
 * views (broadcast, permute, slice, a last-two-dims transpose) and short reductions do not
 * launch a kernel: they give their output storage a *pending* expression over their inputs, and
 * an input that is itself pending is inlined into it. The expression runs as one generated
 * kernel when something needs the buffer — a read, a matmul, a long reduction, a copy, a custom
 * kernel — so a chain like the gradient of sigmoid (`g · y · (1 − y)`), the stable BCE, or a
 * softmax's `exp(x − max) / Σ` is one pass over memory instead of one per op, and a reduction
 * takes its input's expression as a prologue and the ops on its result as an epilogue.
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
 * Two limits keep fused work from growing: an expression read through a map (a broadcast, a
 * permutation) is inlined only when it is small and has no reduction (else each output element
 * would redo it), and a kernel has at most {@link MAX_LOADS} inputs and {@link MAX_NODES} nodes.
 *
 * Print any generated kernel with its expression with `describeKernel()` (tests do).
 */
import { backendOf, type Device } from '../device/device.js';
import type { WgslType } from '../dtype.js';
import { launch, params, words } from '../kernels/launch.js';
import { type IndexMap, type LazyNode, type Pending, Storage } from '../memory/storage.js';
import { generate, isLongReduction } from './codegen.js';
import { indexMap } from './index-map.js';

/** Most distinct nodes of an expression fused into one kernel. */
const MAX_NODES = 64;
/** Most distinct input buffers of one fused kernel (WebGPU guarantees 8 storage bindings). */
const MAX_LOADS = 5;
/** Most nodes of a pending expression recomputed per element of a broadcast or other view. */
const MAX_REMAPPED_NODES = 16;

/** An input of a fused op: its storage, size and element type, and how the output reads it. */
export interface Operand {
  storage: Storage;
  size: number;
  type: WgslType;
  /** How the output's elements index this operand; absent when element `i` reads element `i`. */
  map?: IndexMap | null;
}

/**
 * The node through which an op reads `x` for an output of `outSize` elements: `x`'s pending
 * expression when it can be inlined, else a load of its (computed) buffer — through `x.map`,
 * or broadcast when `x` holds one element.
 */
function nodeOf(x: Operand, outSize: number, inline: boolean): LazyNode {
  const pending = x.storage.pending;
  // Inside a traced step, a lazy tensor from before it is computed, not inlined: eagerly it is
  // computed once (at the latest when what it reads is written), never again by later steps.
  const inlinable = pending !== null && inline && !fromBeforeTrace(x.storage);
  if (x.size === 1 && outSize !== 1) {
    // A constant (no loads, no reduction) fits any output.
    if (inlinable && pending.loads.length === 0 && !pending.reduces) return pending.node;
    if (pending) realize(x.storage);
    return { kind: 'load', storage: x.storage, type: x.type, scalar: true };
  }
  if (x.map) {
    if (inlinable && !pending.reduces && pending.nodes <= MAX_REMAPPED_NODES) {
      return remap(pending.node, x.map, new Map());
    }
    if (pending) realize(x.storage);
    return { kind: 'load', storage: x.storage, type: x.type, scalar: false, maps: [x.map] };
  }
  if (inlinable) return pending.node;
  if (pending) realize(x.storage);
  return { kind: 'load', storage: x.storage, type: x.type, scalar: false };
}

/** `node` read through `map` first: every load's maps get `map` in front (shared nodes stay shared). */
function remap(node: LazyNode, map: IndexMap, memo: Map<LazyNode, LazyNode>): LazyNode {
  const known = memo.get(node);
  if (known) return known;
  let out: LazyNode;
  if (node.kind === 'load') {
    out = node.scalar
      ? node
      : {
          kind: 'load',
          storage: node.storage,
          type: node.type,
          scalar: false,
          maps: [map, ...(node.maps ?? [])],
        };
  } else if (node.kind === 'op') {
    out = { ...node, args: node.args.map((a) => remap(a, map, memo)) };
  } else {
    throw new Error('internal: a reduction cannot be read through an index map.');
  }
  memo.set(node, out);
  return out;
}

/** True for a storage made before the step being traced, if one is. */
function fromBeforeTrace(storage: Storage): boolean {
  const recording = backendOf(storage.device).recording;
  return recording !== undefined && !recording.storages.has(storage);
}

/** The loads, distinct node count and presence of a reduction of an expression. */
function measure(root: LazyNode): { loads: Set<Storage>; nodes: number; reduces: boolean } {
  const loads = new Set<Storage>();
  const seen = new Set<LazyNode>();
  let reduces = false;
  const walk = (node: LazyNode): void => {
    if (seen.has(node)) return;
    seen.add(node);
    if (node.kind === 'load') loads.add(node.storage);
    else if (node.kind === 'op') for (const a of node.args) walk(a);
    else {
      reduces = true;
      walk(node.arg);
    }
  };
  walk(root);
  return { loads, nodes: seen.size, reduces };
}

/**
 * Makes `out` pending on the expression `build` makes. Inputs' own pending expressions are
 * inlined (`build(true)`) while the result stays within the kernel limits; past them, the
 * inputs are computed first and loaded (`build(false)`).
 */
function setPending(
  out: Storage,
  size: number,
  type: WgslType,
  build: (inline: boolean) => LazyNode,
): void {
  let node = build(true);
  let m = measure(node);
  if (m.loads.size > MAX_LOADS || m.nodes > MAX_NODES) {
    node = build(false);
    m = measure(node);
  }
  const pending: Pending = {
    node,
    size,
    type,
    loads: [...m.loads],
    nodes: m.nodes,
    reduces: m.reduces,
  };
  out.setPending(pending);
}

/**
 * Makes `out` (a fresh storage of `size` elements) pending on `op` applied to `inputs`, each
 * read through its map (broadcasting) or element for element.
 */
export function fuse(
  out: Storage,
  size: number,
  op: Omit<Extract<LazyNode, { kind: 'op' }>, 'kind' | 'args'>,
  inputs: readonly Operand[],
): void {
  setPending(out, size, op.tout, (inline) => ({
    kind: 'op',
    ...op,
    args: inputs.map((x) => nodeOf(x, size, inline)),
  }));
}

/**
 * Makes `out` (a fresh storage of `size` elements) a lazy view of `x`: element `i` is `x` at
 * `x.map` (a broadcast, permutation or slice). A small pending `x` is read through the map
 * without being computed.
 */
export function fuseView(out: Storage, size: number, x: Operand): void {
  setPending(out, size, x.type, (inline) => nodeOf(x, size, inline));
}

/**
 * Makes `out` (a fresh storage of `x.size` elements) pending on `x` transposed in its last two
 * dims, the output being `[..., rows, cols]`. A matmul reads such a storage's source in place
 * with its transpose flag flipped ({@link transposedSource}); anything else computes it, fused
 * with the elementwise ops that read it. A pending `x` is computed first, so that the matmul
 * finds a buffer to read.
 */
export function fuseTranspose(out: Storage, x: Operand, rows: number, cols: number): void {
  if (x.storage.pending) realize(x.storage);
  const map = indexMap([x.size / (rows * cols), rows, cols], [rows * cols, 1, rows]);
  const node: LazyNode = {
    kind: 'load',
    storage: x.storage,
    type: x.type,
    scalar: false,
    ...(map ? { maps: [map] } : {}),
    transpose: { rows, cols },
  };
  setPending(out, x.size, x.type, () => node);
}

/**
 * Makes `out` (a fresh storage of `outer · inner` elements) pending on the sum or maximum of
 * `x`, viewed as `[outer, r, inner]`, over `r`. `x`'s pending expression is its prologue, and
 * elementwise ops on the result become its epilogue. A row longer than one thread should fold
 * (a workgroup kernel) is computed now, and its result is loaded by what follows.
 */
export function fuseReduce(
  out: Storage,
  op: 'sum' | 'max',
  x: Operand,
  dims: { outer: number; r: number; inner: number },
): void {
  const { outer, r, inner } = dims;
  setPending(out, outer * inner, x.type, (inline) => ({
    kind: 'reduce',
    op,
    type: x.type,
    arg: nodeOf(x, x.size, inline),
    r,
    inner,
  }));
  if (out.pending && isLongReduction(out.pending.node)) realize(out);
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
    launch(
      device,
      kernel.code,
      kernel.label,
      [
        params(device, [pending.size, ...kernel.params]),
        ...kernel.loads.map((s) => words(s.buffer, s.elements)),
        words(storage.buffer, pending.size),
      ],
      kernel.perWorkgroup ? { threads: pending.size, workgroupSize: 1 } : { threads: pending.size },
    );
    const inputs = kernel.loads.reduce((n, s) => n + s.elements, 0);
    backendOf(device).noteFusedBytes(4 * (inputs + pending.size));
  } finally {
    if (outside && recording) recording.paused--;
  }
  Storage.freeOrphans(pending);
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

/** The WGSL of the kernel that would compute `storage` now, with its expression (debugging). */
export function describeKernel(storage: Storage): string | null {
  const pending = storage.pending;
  return pending ? generate(pending).code : null;
}
