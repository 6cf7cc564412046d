/**
 * WGSL generation for pending expressions. Every domain of an expression becomes one value
 * function `f<k>(i)`: the kernel's output elements, and the input of each reduction (whose
 * function `r<k>(o)` folds its row by calling the input's value function). A value function is
 * a list of let-lines, one per distinct node, its operands loaded through their index maps. The
 * kernel either stores `f0(i)` for each element or, for a reduction too long for one thread,
 * folds each row with a workgroup. Kernels are cached by their expression and layouts: scalar
 * values and the element count travel as parameters (one kernel serves every value and size),
 * the index maps' sizes and strides and the reductions' row lengths are literals (see
 * `index-map.ts` for why).
 */
import type { WgslType } from '../dtype.js';
import { LINEAR_INDEX_WGSL, WORKGROUP_SIZE } from '../kernels/grid.js';
import { ENTRY_1D } from '../kernels/launch.js';
import { lowest, REDUCE_WG, SHORT_ROW } from '../kernels/reduce.js';
import type { LazyNode, Pending, Storage } from '../memory/storage.js';
import { mapIndexWgsl, mapKey } from './index-map.js';

/** A kernel ready to launch for one pending expression. */
export interface Kernel {
  code: string;
  label: string;
  /** Distinct input storages, in binding order. */
  loads: Storage[];
  /** Parameter words after the element count: the expression's scalars. */
  params: number[];
  /** One workgroup per output (a long reduction at the top) instead of one thread. */
  perWorkgroup: boolean;
}

/** Kernels by the structure of their expression (storages and parameter values left out). */
const kernels = new Map<string, { code: string; label: string }>();

/** The WGSL type of a node's value. */
function typeOf(node: LazyNode): WgslType {
  return node.kind === 'op' ? node.tout : node.type;
}

function combine(op: 'sum' | 'max', acc: string, v: string): string {
  return op === 'sum' ? `${acc} + ${v}` : `max(${acc}, ${v})`;
}

function init(op: 'sum' | 'max', type: WgslType): string {
  return op === 'sum' ? `${type}(0)` : lowest(type);
}

/** True when the expression's top is a reduction whose rows one thread should not fold alone. */
export function isLongReduction(node: LazyNode): boolean {
  return node.kind === 'reduce' && node.r > SHORT_ROW;
}

export function generate(pending: Pending): Kernel {
  const loads: Storage[] = [];
  const loadTypes: WgslType[] = [];
  const params: number[] = [];
  const sig: string[] = [];
  const ops: string[] = [];
  const fns: string[] = [];
  let functions = 0;
  /** The next parameter's index in `p` (p[0] is the element count). */
  const param = (...words: number[]): number => {
    const at = params.length + 1;
    params.push(...words);
    return at;
  };

  const valueFn = (root: LazyNode): string => {
    const fn = `f${functions++}`;
    const names = new Map<LazyNode, string>();
    const loadNames = new Map<string, string>();
    const lines: string[] = [];
    let count = 0;
    sig.push(`${fn}{`);
    const visit = (node: LazyNode): string => {
      const known = names.get(node);
      if (known) {
        sig.push(`@${known}`);
        return known;
      }
      const fresh = (): string => `v${count++}`;
      if (node.kind === 'load') {
        let j = loads.indexOf(node.storage);
        if (j < 0) {
          j = loads.length;
          loads.push(node.storage);
          loadTypes.push(node.type);
        }
        // Every read of one buffer through one map is one let-line, however many ops read it.
        const readKey = `${j}${node.scalar ? 's' : ''}|${mapKey(node.maps)}`;
        const loaded = loadNames.get(readKey);
        if (loaded) {
          names.set(node, loaded);
          sig.push(`@${loaded}`);
          return loaded;
        }
        const name = fresh();
        names.set(node, name);
        loadNames.set(readKey, name);
        let index = node.scalar ? '0u' : 'i';
        if (!node.scalar) {
          for (const map of node.maps ?? []) {
            const at = `${name}i${lines.length}`;
            lines.push(`  let ${at} = ${mapIndexWgsl(index, map)};`);
            index = at;
          }
        }
        sig.push(`L${j}${node.type}${node.scalar ? 's' : ''}[${mapKey(node.maps)}]`);
        lines.push(`  let ${name} = in${j}[${index}];`);
        return name;
      }
      if (node.kind === 'reduce') {
        const reduce = reduceFn(node);
        const name = fresh();
        names.set(node, name);
        lines.push(`  let ${name} = ${reduce}(i);`);
        return name;
      }
      const args = node.args.map(visit);
      // Named after its arguments, so the let-lines read in order: v0, v1, … the result last.
      const name = fresh();
      names.set(node, name);
      let expr = node.expr
        .replace(/\ba\b/g, args[0] ?? 'a')
        .replace(/\bb\b/g, args[1] ?? 'b')
        .replace(/\bc\b/g, args[2] ?? 'c')
        .replace(/\bT\b/g, node.tin);
      if (node.scalarBits !== null) {
        expr = expr.replace(/\bs\b/g, `bitcast<${node.tin}>(p[${param(node.scalarBits)}])`);
      }
      if (node.boolOut) expr = `select(0u, 1u, ${expr})`;
      sig.push(
        `O(${node.expr}|${node.tin}|${node.tout}|${node.boolOut}|${node.scalarBits !== null})`,
      );
      ops.push(node.expr);
      lines.push(`  let ${name}: ${node.tout} = ${expr};`);
      return name;
    };
    const result = visit(root);
    sig.push('}');
    fns.push(`fn ${fn}(i: u32) -> ${typeOf(root)} {\n${lines.join('\n')}\n  return ${result};\n}`);
    return fn;
  };

  /** The row of output `o` of a reduction: its length `r`, stride `inner` and first element. */
  const rowOf = (node: Extract<LazyNode, { kind: 'reduce' }>, o: string): string[] => [
    `  let r = ${node.r}u;`,
    `  let inner = ${node.inner}u;`,
    `  let base = (${o} / inner) * r * inner + ${o} % inner;`,
  ];

  const reduceFn = (node: Extract<LazyNode, { kind: 'reduce' }>): string => {
    const arg = valueFn(node.arg);
    const fn = `r${functions++}`;
    const row = rowOf(node, 'o');
    sig.push(`R(${node.op}|${node.type}|${node.r}|${node.inner})`);
    ops.push(node.op);
    fns.push(`fn ${fn}(o: u32) -> ${node.type} {
${row.join('\n')}
  var acc: ${node.type} = ${init(node.op, node.type)};
  for (var j = 0u; j < r; j++) {
    acc = ${combine(node.op, 'acc', `${arg}(base + j * inner)`)};
  }
  return acc;
}`);
    return fn;
  };

  const top = pending.node;
  let body: string;
  let perWorkgroup = false;
  if (top.kind === 'reduce' && isLongReduction(top)) {
    // One workgroup per output: each thread folds every WG-th element of the row, then the
    // partial results combine pairwise in workgroup memory (a fixed order: deterministic).
    perWorkgroup = true;
    const arg = valueFn(top.arg);
    const row = rowOf(top, 'o');
    sig.push(`W(${top.op}|${top.type}|${top.r}|${top.inner})`);
    ops.push(top.op);
    body = `
var<workgroup> partial: array<${top.type}, ${REDUCE_WG}>;

@compute @workgroup_size(${REDUCE_WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_id) lid: vec3u) {
  let o = wid.y * nwg.x + wid.x;
  if (o >= p[0]) { return; }               // uniform: the whole workgroup returns
${row.join('\n')}
  var acc: ${top.type} = ${init(top.op, top.type)};
  for (var j = lid.x; j < r; j += ${REDUCE_WG}u) {
    acc = ${combine(top.op, 'acc', `${arg}(base + j * inner)`)};
  }
  partial[lid.x] = acc;
  workgroupBarrier();
  for (var s = ${REDUCE_WG / 2}u; s > 0u; s = s / 2u) {
    if (lid.x < s) { partial[lid.x] = ${combine(top.op, 'partial[lid.x]', 'partial[lid.x + s]')}; }
    workgroupBarrier();
  }
  if (lid.x == 0u) { out[o] = partial[0]; }
}`;
  } else {
    const fn = valueFn(top);
    body = `
@compute @workgroup_size(${WORKGROUP_SIZE})
fn main(${ENTRY_1D}) {
  let i = ${LINEAR_INDEX_WGSL};
  if (i >= p[0]) { return; }
  out[i] = ${fn}(i);
}`;
  }
  const key = `${sig.join(',')}>${pending.type}`;
  let kernel = kernels.get(key);
  if (!kernel) {
    const decls = loadTypes
      .map((type, j) => `@group(0) @binding(${j + 1}) var<storage, read> in${j}: array<${type}>;`)
      .join('\n');
    const code = /* wgsl */ `
const WG: u32 = ${WORKGROUP_SIZE}u;
// p[0] = output elements, p[1..] = the expression's scalars
@group(0) @binding(0) var<storage, read> p: array<u32>;
${decls}
@group(0) @binding(${loads.length + 1}) var<storage, read_write> out: array<${pending.type}>;
${fns.join('\n\n')}
${body}
`;
    const label = ops.length ? `fused(${ops.join(' ; ')})` : 'view';
    kernel = { code, label };
    kernels.set(key, kernel);
  }
  return { code: kernel.code, label: kernel.label, loads, params, perWorkgroup };
}
