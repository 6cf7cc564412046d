import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { removeOwnTemporaries } from '../src/train/run-dir.js';
import { tempDir } from './helpers.js';

describe('removeOwnTemporaries', () => {
  it("removes only this process's in-progress checkpoint files, nothing else", () => {
    const dir = join(tempDir(), 'run');
    mkdirSync(dir);
    const own = `.step_6.state.safetensors.${process.pid}.f89552b5a32c.tmp`;
    const other = `.step_6.state.safetensors.${process.pid + 1}.f89552b5a32c.tmp`;
    const keep = ['step_3.safetensors', 'step_3.state.safetensors', other, 'notes.tmp', 'mine.txt'];
    for (const n of [own, ...keep]) writeFileSync(join(dir, n), 'x');
    expect(removeOwnTemporaries(dir)).toEqual([own]);
    expect(readdirSync(dir).sort()).toEqual([...keep].sort());
    expect(existsSync(join(dir, own))).toBe(false);
  });

  it('is a no-op for a run directory that does not exist yet', () => {
    expect(removeOwnTemporaries(join(tempDir(), 'missing'))).toEqual([]);
  });
});
