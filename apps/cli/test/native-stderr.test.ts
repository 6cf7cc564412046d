import { describe, expect, it } from 'vitest';
import { createNoiseFilter, opensDevice } from '../src/cli/native-stderr.js';

const W1 =
  'Warning: maxDynamicUniformBuffersPerPipelineLayout artificially reduced from 1000000 to 16 to fit dynamic offset allocation limit.\n';
const W2 =
  'Warning: maxDynamicStorageBuffersPerPipelineLayout artificially reduced from 1000000 to 16 to fit dynamic offset allocation limit.\n';

function run(chunks: string[]): string {
  let out = '';
  const f = createNoiseFilter((t) => {
    out += t;
  });
  for (const c of chunks) f(c);
  return out;
}

describe('the Dawn stderr filter', () => {
  it("drops Dawn's two warnings and nothing else", () => {
    expect(run([`${W1}${W2}evaluating x\n`])).toBe('evaluating x\n');
    expect(run(['Warning: something else\n'])).toBe('Warning: something else\n');
  });

  it('handles warnings split across chunks', () => {
    const text = `a\n${W1}b\n${W2}`;
    for (let cut = 0; cut < text.length; cut += 7) {
      expect(run([text.slice(0, cut), text.slice(cut)])).toBe('a\nb\n');
    }
  });

  it('forwards a progress bar redrawn within a line at once', () => {
    let out = '';
    const f = createNoiseFilter((t) => {
      out += t;
    });
    f('\r\x1b[2Kstep 1/10');
    expect(out).toBe('\r\x1b[2Kstep 1/10');
    f('\r\x1b[2Kstep 2/10');
    expect(out).toContain('step 2/10');
  });

  it('wraps only the commands that open a device', () => {
    expect(opensDevice(['train'])).toBe(true);
    expect(opensDevice(['eval', '--checkpoint', 'x'])).toBe(true);
    expect(opensDevice(['train', '--print-config'])).toBe(false);
    expect(opensDevice(['train', '--help'])).toBe(false);
    expect(opensDevice(['show', 'd'])).toBe(false);
    expect(opensDevice(['show', 'd', '--checkpoint', 'c'])).toBe(true);
    expect(opensDevice(['generate', 'sudoku'])).toBe(false);
    expect(opensDevice(['predict', 'arc', '--checkpoint', 'c'])).toBe(true);
  });
});
