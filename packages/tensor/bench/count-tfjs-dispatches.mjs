// Shows that tfjs runs the dispatch chain on the CPU unless WEBGPU_CPU_FORWARD is off:
//   XDG_RUNTIME_DIR=/tmp node bench/count-tfjs-dispatches.mjs
import { create, globals } from 'webgpu';

Object.assign(globalThis, globals);
globalThis.navigator = { gpu: create([]), userAgent: 'node' };
let dispatches = 0;
const orig = GPUComputePassEncoder.prototype.dispatchWorkgroups;
GPUComputePassEncoder.prototype.dispatchWorkgroups = function (...a) {
  dispatches++;
  return orig.apply(this, a);
};
const tf = await import('@tensorflow/tfjs-core');
await import('@tensorflow/tfjs-backend-webgpu');
await tf.setBackend('webgpu');
await tf.ready();
for (const forward of [true, false]) {
  tf.env().set('WEBGPU_CPU_FORWARD', forward);
  const one = tf.tensor1d(new Float32Array(256).fill(1));
  let y = one.clone();
  dispatches = 0;
  for (let i = 0; i < 200; i++) {
    const n = tf.add(y, one);
    y.dispose();
    y = n;
  }
  const v = await y.data();
  console.log(
    `WEBGPU_CPU_FORWARD=${forward}: 200 adds -> ${dispatches} GPU dispatches, y[0]=${v[0]}`,
  );
  y.dispose();
  one.dispose();
}
process.exit(0);
