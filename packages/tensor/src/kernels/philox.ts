/**
 * Uniform random numbers on the device: Philox4x32-10, word for word the stream of
 * `random/philox.ts`, so a tensor drawn here equals the one the CPU generator would upload.
 * A captured step (`compile()`) draws this way: the generator's key and counter are kernel
 * parameters, re-computed before every replay, so each replay draws new numbers.
 */
import type { Binding } from '../backend/backend.js';
import type { Device } from '../device/device.js';
import { LINEAR_INDEX_WGSL, WORKGROUP_SIZE } from './grid.js';
import { ENTRY_1D, launch, words } from './launch.js';

const UNIFORM_WGSL = `const WG: u32 = ${WORKGROUP_SIZE}u;
struct P { k0: u32, k1: u32, c0: u32, c1: u32, n: u32, low: f32, high: f32 }
@group(0) @binding(0) var<storage, read> p: P;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;

// High 32 bits of a 32×32-bit product, with 16-bit limbs (WGSL has no 64-bit integers).
fn mulhi(a: u32, b: u32) -> u32 {
  let al = a & 0xffffu; let ah = a >> 16u; let bl = b & 0xffffu; let bh = b >> 16u;
  let ll = al * bl; let lh = al * bh; let hl = ah * bl;
  let mid = (ll >> 16u) + (lh & 0xffffu) + (hl & 0xffffu);
  return ah * bh + (lh >> 16u) + (hl >> 16u) + (mid >> 16u);
}

@compute @workgroup_size(${WORKGROUP_SIZE})
fn main(${ENTRY_1D}) {
  let i = ${LINEAR_INDEX_WGSL};
  if (i >= p.n) { return; }
  let block = i / 4u;
  var c0 = p.c0 + block;
  var c1 = p.c1 + select(0u, 1u, c0 < block); // carry into the counter's high word
  var c2 = 0u; var c3 = 0u;
  var k0 = p.k0; var k1 = p.k1;
  for (var round = 0u; round < 10u; round++) {
    let hi0 = mulhi(0xd2511f53u, c0); let lo0 = 0xd2511f53u * c0;
    let hi1 = mulhi(0xcd9e8d57u, c2); let lo1 = 0xcd9e8d57u * c2;
    c0 = hi1 ^ c1 ^ k0; c1 = lo1; c2 = hi0 ^ c3 ^ k1; c3 = lo0;
    k0 += 0x9e3779b9u; k1 += 0xbb67ae85u;
  }
  let word = array<u32, 4>(c0, c1, c2, c3)[i % 4u];
  out[i] = p.low + (p.high - p.low) * (f32(word >> 8u) * bitcast<f32>(0x33800000u)); // 2⁻²⁴
}`;

/** Fills `out` (`n` f32) with uniform draws; `params` holds the key, counter and range. */
export function encodeUniform(device: Device, params: Binding, out: GPUBuffer, n: number): void {
  launch(device, UNIFORM_WGSL, 'rand', [params, words(out, n)], { threads: n });
}
