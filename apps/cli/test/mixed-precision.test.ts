import { mkdtempSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCheckpoint } from '@trm/model';
import { GradScaler } from '@trm/optim';
import { Device, tensor } from '@trm/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Optimizers, unscaleGradients } from '../src/train/optimizers.js';
import { buildSudoku4, checkpointTensors, TINY_ARCH, trm } from './helpers.js';

// 16 puzzles at batch 8 for two epochs: four steps, a checkpoint after steps 2 and 4.
const TINY = [
  ...TINY_ARCH,
  'arch.forward_dtype=bfloat16',
  'arch.halt_max_steps=2',
  'arch.puzzle_emb_len=1',
  'global_batch_size=8',
  'epochs=2',
  'eval_interval=1',
  'lr_warmup_steps=1',
  'evaluators=[]',
];

let work: string;
let data: string;
const env = { HF_HOME: '/nonexistent-hf-home', PATH: process.env.PATH ?? '' };

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'trm-f16-'));
  data = await buildSudoku4(work, { count: 16, testCount: 8, seed: 4, env });
}, 120_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

const train = (runDir: string, extra: string[] = []) =>
  trm(
    [
      'train',
      '--preset',
      'none',
      `data_paths=[${data}]`,
      ...TINY,
      `checkpoint_path=${runDir}`,
      ...extra,
    ],
    {
      cwd: work,
      env,
    },
  );

describe('trm train with arch.forward_dtype bfloat16 (lavapipe has shader-f16)', () => {
  it('says it computes in float16, logs the loss scale, and resumes with it exactly', async () => {
    const runDir = join(work, 'f16');
    const r = await train(runDir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      'arch.forward_dtype bfloat16: WGSL has no bfloat16, so the matmuls compute in float16',
    );
    const steps = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((m) => 'train/lr' in m);
    expect(steps.map((m) => m['train/loss_scale'])).toEqual([65536, 65536, 65536, 65536]);
    const state = await loadCheckpoint(join(runDir, 'step_2.state.safetensors'));
    expect(JSON.parse(state.metadata.progress!).lossScale).toEqual({ scale: 65536, cleanSteps: 2 });

    // Resumed from step 2, the run ends where the uninterrupted one did.
    const resumed = join(work, 'f16-resumed');
    const first = await train(resumed, []);
    expect(first.code, first.stderr).toBe(0);
    for (const f of ['step_4.safetensors', 'step_4.state.safetensors'])
      unlinkSync(join(resumed, f));
    const again = await trm(['train', '--resume', resumed], { cwd: work, env });
    expect(again.code, again.stderr).toBe(0);
    const a = await checkpointTensors(join(runDir, 'step_4.safetensors'));
    const b = await checkpointTensors(join(resumed, 'step_4.safetensors'));
    for (const [k, v] of a) expect(b.get(k), k).toEqual(v);
  }, 600_000);
});

describe('unscaleGradients', () => {
  let device: Device;
  beforeAll(async () => {
    device = await Device.open();
  });
  afterAll(() => device?.destroy());

  it('unscales finite gradients; an overflow anywhere skips the step and halves the scale', async () => {
    const p = tensor([1, 2], { device });
    p.grad = tensor([512, 1024], { device });
    const scaler = new GradScaler({ initScale: 512 });
    const optimizers = { params: [['w', p]], puzzleEmb: null } as unknown as Optimizers;
    expect(await unscaleGradients(optimizers, scaler, undefined)).toBe(true);
    expect([...((await p.grad.data()) as Float32Array)]).toEqual([1, 2]);
    expect(scaler.scale).toBe(512);
    p.grad = tensor([1, Number.POSITIVE_INFINITY], { device });
    expect(await unscaleGradients(optimizers, scaler, undefined)).toBe(false);
    expect(scaler.scale).toBe(256);
  });
});
