import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeOwnTemporaries } from '../src/index.js';

const root = mkdtempSync(join(tmpdir(), 'trm-atomic-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('removeOwnTemporaries', () => {
  it("removes only this process's in-progress checkpoint files, nothing else", () => {
    const dir = join(root, 'run');
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
    expect(removeOwnTemporaries(join(root, 'missing'))).toEqual([]);
  });
});
