const T = await import('@trm/tensor');
const device = await T.Device.open({ disableToggles: ['timestamp_quantization'] });
T.setDefaultDevice(device);
const r = (shape) => { const n = shape.reduce((a, b) => a * b); return T.tensor(Float32Array.from({ length: n }, (_, i) => Math.sin(i)), { shape }); };
async function time(f) {
  for (let i = 0; i < 2; i++) { const y = f(); await y.data(); y.dispose(); }
  let ms = 0;
  for (let i = 0; i < 5; i++) { device.startGpuTimer(); const y = f(); await y.data(); ms += (await device.stopGpuTimer()).ms; y.dispose(); }
  return ms / 5;
}
for (const [m, k, n] of [[776,128,128],[776,128,256],[776,128,512],[776,128,1024],[776,512,128],[3104,128,128]]) {
  const x = r([m, k]); const w = r([n, k]); const wt = r([k, n]); await x.data(); await w.data(); await wt.data();
  const nt = await time(() => x.matmul(w, { transB: true }));
  const nn = await time(() => x.matmul(wt));
  console.log(`${m}x${k}x${n}  NT ${nt.toFixed(2)} ms  NN ${nn.toFixed(2)} ms`);
}
device.destroy(); process.exit(0);
