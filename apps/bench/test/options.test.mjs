import { describe, expect, it } from 'vitest';
import { adapterSlug, BenchUsageError, isCpuAdapter, parseOptions, plan } from '../src/options.mjs';

const lavapipe = { vendor: 'mesa', description: 'llvmpipe: Mesa 25.0.7 (LLVM 15.0.6)', device: '' };
const h200 = { vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H200', device: '' };

describe('parseOptions', () => {
  it('reads every flag', () => {
    const o = parseOptions([
      '--full',
      '--shapes',
      'tiny,paper-att',
      '--batches',
      '64,256',
      '--steps',
      '5',
      '--precision',
      'f32',
      '--no-torch',
      '--train-steps',
      '7',
      '--out',
      'x',
      '--name',
      'h200',
      '--overwrite',
    ]);
    expect(o).toMatchObject({
      mode: 'full',
      shapes: ['tiny', 'paper-att'],
      batches: [64, 256],
      steps: 5,
      precisions: ['f32'],
      torch: false,
      trainSteps: 7,
      out: 'x',
      name: 'h200',
      overwrite: true,
    });
  });

  it('names the flag and the fix for every bad value', () => {
    const bad = [
      [['--shapes', 'huge'], /unknown shape "huge"; choose from tiny, reduced/],
      [['--batches', '64,0'], /--batches takes whole numbers .* not "0"/],
      [['--steps', '1.5'], /--steps takes a whole number of at least 1, not "1.5"/],
      [['--precision', 'bf16'], /unknown precision "bf16"; choose from f32, f16/],
      [['--quick', '--full'], /exclude each other/],
      [['--name', '../x'], /not a plain file stem/],
      [['--out'], /--out needs a value/],
      [['--fast'], /Unknown option "--fast"/],
    ];
    for (const [argv, message] of bad) {
      expect(() => parseOptions(argv)).toThrow(BenchUsageError);
      expect(() => parseOptions(argv)).toThrow(message);
    }
  });
});

describe('plan', () => {
  it('skips the paper shapes on a CPU adapter unless they are named', () => {
    const quick = plan(parseOptions([]), { cpu: true, f16: false });
    expect(quick.mode).toBe('quick');
    expect(quick.shapes.filter((s) => s.skip).map((s) => s.name)).toEqual([
      'paper-mlp',
      'paper-att',
    ]);
    const named = plan(parseOptions(['--shapes', 'paper-mlp']), { cpu: true, f16: false });
    expect(named.shapes).toHaveLength(1);
    expect(named.shapes[0]).toMatchObject({ name: 'paper-mlp', skip: null, batches: [64] });
    expect(quick.tune).toBe(false);
    expect(plan(parseOptions(['--tune']), { cpu: true, f16: false }).tune).toBe(true);
  });

  it('runs every shape at 64, 256 and 768 on a GPU, in f16 too where the adapter has it', () => {
    const full = plan(parseOptions([]), { cpu: false, f16: true });
    expect(full.mode).toBe('full');
    expect(full.shapes.every((s) => s.skip === null)).toBe(true);
    expect(full.shapes.find((s) => s.name === 'paper-att').batches).toEqual([64, 256, 768]);
    expect(full.precisions).toEqual(['f32', 'f16']);
    expect(full.tune).toBe(true);
    expect(plan(parseOptions(['--no-steps']), { cpu: false, f16: true }).shapes).toEqual([]);
    expect(plan(parseOptions(['--no-tune']), { cpu: false, f16: true }).tune).toBe(false);
  });
});

describe('adapters', () => {
  it('tells CPU adapters apart and names result files after the adapter', () => {
    expect(isCpuAdapter(lavapipe)).toBe(true);
    expect(isCpuAdapter(h200)).toBe(false);
    expect(adapterSlug(lavapipe)).toBe('lavapipe');
    expect(adapterSlug(h200)).toBe('nvidia-nvidia-h200'.replace('nvidia-nvidia', 'nvidia'));
  });
});
