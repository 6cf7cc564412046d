import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  buildIntoDirectory,
  checkCreatable,
  DatasetError,
  forEachPuzzleCsvRow,
  NpyWriter,
  readMetadata,
  removeStaleTemporaries,
  StagedDirectory,
  writeAllSync,
  writeFileAtomic,
  writeNpy,
  writePuzzleCsv,
} from '../src/index.js';
import { tempDir } from './helpers.js';

/** A pid that is certainly not running: a child that has exited. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '0']).pid!;
}

function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('did not throw');
}

const PUZZLE = { source: 's', question: 'q', answer: 'a', rating: 0 };

describe('writes that cannot lie', () => {
  it('reports a full disk as a DatasetError naming the file, keeping the system code', () => {
    const fd = openSync('/dev/full', 'w');
    try {
      const err = thrown(() => writeAllSync(fd, 'x'.repeat(10_000), '/dev/full'));
      expect(err).toBeInstanceOf(DatasetError);
      expect(err.message).toMatch(/^disk full while writing \/dev\/full; free some space/);
      expect((err.cause as NodeJS.ErrnoException).code).toBe('ENOSPC');
    } finally {
      closeSync(fd);
    }
  });

  // Each writer's temporary file is made a link to /dev/full, where every write fails with
  // ENOSPC as on a full disk: the writer must say so, name its file and leave nothing behind.
  it.each([
    ['the CSV writer', 'p.csv', (p: string) => writePuzzleCsv(p, [PUZZLE, PUZZLE])],
    ['writeFileAtomic', 'd.json', (p: string) => writeFileAtomic(p, '{"a": 1}')],
    ['writeNpy', 'a.npy', (p: string) => writeNpy(p, new Int32Array(100))],
  ])('%s reports a full disk and publishes nothing', (_, name, write) => {
    const dir = tempDir();
    const path = join(dir, name);
    symlinkSync('/dev/full', `${path}.tmp-${process.pid}`);
    const err = thrown(() => write(path));
    expect(err).toBeInstanceOf(DatasetError);
    expect(err.message).toMatch(/disk full while writing/);
    expect(err.message).toContain(path);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('the streaming .npy writer reports a full disk', () => {
    const dir = tempDir();
    const path = join(dir, 'rows.npy');
    symlinkSync('/dev/full', path);
    const err = thrown(() => {
      const w = new NpyWriter(path, 'u1', null, [4]);
      w.append(new Uint8Array(4096));
      w.close();
    });
    expect(err).toBeInstanceOf(DatasetError);
    expect(err.message).toBe(`disk full while writing ${path}; free some space and run again`);
  });
});

describe('paths in the way', () => {
  it('names the file in the way of an output path', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'afile'), 'mine');
    const target = join(dir, 'afile', 'out', 'x.csv');
    expect(() => checkCreatable(target)).toThrow(
      `${join(dir, 'afile')} is a file, not a directory, so ${target} cannot be created under it`,
    );
    expect(() => writePuzzleCsv(join(dir, 'afile', 'p.csv'), [PUZZLE])).toThrow(DatasetError);
    expect(readFileSync(join(dir, 'afile'), 'utf8')).toBe('mine');
  });

  it('says in words when an input is a directory, a pipe or too big', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'train.csv'));
    const csv = thrown(() => forEachPuzzleCsvRow(join(dir, 'train.csv'), () => {}));
    expect(csv).toBeInstanceOf(DatasetError);
    expect(csv.message).toBe(
      `${join(dir, 'train.csv')}: cannot open CSV: it is a directory, not a file`,
    );
    mkdirSync(join(dir, 'dataset.json'));
    expect(() => readMetadata(join(dir, 'dataset.json'))).toThrow(
      /dataset\.json: cannot read dataset\.json: it is a directory, not a file/,
    );
    execFileSync('mkfifo', [join(dir, 'fifo.json')]);
    expect(() => readMetadata(join(dir, 'fifo.json'))).toThrow(/it is not a regular file/);
    writeFileSync(join(dir, 'big.json'), Buffer.alloc(2 << 20, 0x20));
    expect(() => readMetadata(join(dir, 'big.json'))).toThrow(
      /big\.json: is 2,097,152 bytes, more than any dataset\.json/,
    );
    expect(() => readMetadata(join(dir, 'absent.json'))).toThrow(
      /absent\.json: cannot read dataset\.json: it does not exist/,
    );
  });

  it('refuses a CSV without line breaks instead of gathering it in memory', () => {
    const dir = tempDir();
    const path = join(dir, 'flat.csv');
    writeFileSync(path, `source,question,answer,rating\n${'x'.repeat(5 << 20)}`);
    expect(() => forEachPuzzleCsvRow(path, () => {})).toThrow(
      /flat\.csv:2: line is longer than 4,194,304 characters; this is not a puzzle CSV/,
    );
  });
});

describe('temporaries of killed runs', () => {
  it('are removed, and nothing else', () => {
    const dir = tempDir();
    const target = join(dir, 'ds');
    const dead = deadPid();
    mkdirSync(join(dir, `.ds.tmp-${dead}-abc`));
    writeFileSync(join(dir, `ds.tmp-${dead}`), 'partial');
    mkdirSync(join(dir, `.ds.tmp-${process.pid}-live`));
    mkdirSync(join(dir, `.other.tmp-${dead}-abc`));
    writeFileSync(join(dir, `.ds.tmp-${dead}-abc.keep`), 'not ours');
    writeFileSync(join(dir, 'ds.tmp-1'), 'pid 1 is init, not a writer');
    expect(
      removeStaleTemporaries(target)
        .map((p) => p.split('/').pop())
        .sort(),
    ).toEqual([`.ds.tmp-${dead}-abc`, `ds.tmp-${dead}`].sort());
    expect(readdirSync(dir).sort()).toEqual(
      [
        `.ds.tmp-${process.pid}-live`,
        `.other.tmp-${dead}-abc`,
        `.ds.tmp-${dead}-abc.keep`,
        'ds.tmp-1',
      ].sort(),
    );
  });

  it('counts a killed writer not yet reaped (a zombie) as gone', async () => {
    // `sleep 0` exits under a parent (`sleep 5`) that never reaps it: a zombie meanwhile.
    const parent = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 5'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    try {
      const zombie = await new Promise<number>((resolve) =>
        parent.stdout!.once('data', (b: Buffer) => resolve(Number(b.toString().trim()))),
      );
      const stat = `/proc/${zombie}/stat`;
      for (let i = 0; i < 50 && !/\) Z /.test(readFileSync(stat, 'utf8')); i++)
        await new Promise((r) => setTimeout(r, 20));
      expect(readFileSync(stat, 'utf8')).toMatch(/\) Z /);
      const dir = tempDir();
      mkdirSync(join(dir, `.ds.tmp-${zombie}-z1`));
      expect(removeStaleTemporaries(join(dir, 'ds'))).toEqual([join(dir, `.ds.tmp-${zombie}-z1`)]);
    } finally {
      parent.kill();
    }
  });

  it('puts back an output moved aside by a run killed before it moved the new one in', () => {
    const dir = tempDir();
    const dead = deadPid();
    mkdirSync(join(dir, `.ds.old-${dead}-abc`));
    writeFileSync(join(dir, `.ds.old-${dead}-abc`, 'kept'), 'old dataset');
    removeStaleTemporaries(join(dir, 'ds'));
    expect(readFileSync(join(dir, 'ds', 'kept'), 'utf8')).toBe('old dataset');
  });

  it('are cleaned up by the next build into the same place and the next atomic write', async () => {
    const dir = tempDir();
    const dead = deadPid();
    mkdirSync(join(dir, `.ds.tmp-${dead}-k1ll3d`));
    writeFileSync(join(dir, `meta.json.tmp-${dead}`), '{');
    await buildIntoDirectory(join(dir, 'ds'), {}, (tmp) => {
      mkdirSync(join(tmp, 'train'));
      writeFileSync(join(tmp, 'train', 'dataset.json'), '{}');
    });
    writeFileAtomic(join(dir, 'meta.json'), '{}');
    expect(readdirSync(dir).sort()).toEqual(['ds', 'meta.json']);
  });
});

describe('publishing and overwriting', () => {
  it('merges into an existing directory by name, leaving other files alone', () => {
    const dir = tempDir();
    const out = join(dir, 'out');
    mkdirSync(out);
    writeFileSync(join(out, 'mine.txt'), 'user');
    writeFileSync(join(out, 'preds.npy'), 'old');
    const staged = new StagedDirectory(out);
    writeFileSync(join(staged.dir, 'preds.npy'), 'new');
    writeFileSync(join(staged.dir, 'metrics.json'), '{}');
    staged.publish('merge');
    expect(readdirSync(out).sort()).toEqual(['metrics.json', 'mine.txt', 'preds.npy']);
    expect(readFileSync(join(out, 'mine.txt'), 'utf8')).toBe('user');
    expect(readFileSync(join(out, 'preds.npy'), 'utf8')).toBe('new');
    expect(readdirSync(dir)).toEqual(['out']);
  });

  const make = (tmp: string) => {
    mkdirSync(join(tmp, 'train'));
    writeFileSync(join(tmp, 'train', 'dataset.json'), '{}');
    writeFileSync(join(tmp, 'train', 'all__inputs.npy'), '');
  };

  it('replaces a dataset, never a directory holding files of the user', async () => {
    const dir = tempDir();
    const out = join(dir, 'ds');
    await buildIntoDirectory(out, {}, make);
    await expect(buildIntoDirectory(out, {}, make)).rejects.toThrow(/already exists/);
    await buildIntoDirectory(out, { overwrite: true }, make);
    expect(readdirSync(out)).toEqual(['train']);
    writeFileSync(join(out, 'notes.txt'), 'mine');
    await expect(buildIntoDirectory(out, { overwrite: true }, make)).rejects.toThrow(
      /refusing to replace it: it holds files trm does not write there \(notes\.txt\)/,
    );
    expect(readFileSync(join(out, 'notes.txt'), 'utf8')).toBe('mine');
    const plain = join(dir, 'plain');
    mkdirSync(plain);
    writeFileSync(join(plain, 'test.csv'), 'mine');
    await expect(buildIntoDirectory(plain, { overwrite: true }, make)).rejects.toThrow(
      /it holds files trm does not write there \(test\.csv\)/,
    );
    const photos = join(dir, 'photos');
    mkdirSync(join(photos, 'train'), { recursive: true });
    writeFileSync(join(photos, 'train', 'dataset.json'), '{}');
    writeFileSync(join(photos, 'train', 'holiday.jpg'), 'mine');
    await expect(buildIntoDirectory(photos, { overwrite: true }, make)).rejects.toThrow(
      /trm does not write there \(train\/holiday\.jpg\)/,
    );
    const unmarked = join(dir, 'unmarked');
    mkdirSync(join(unmarked, 'train'), { recursive: true });
    await expect(buildIntoDirectory(unmarked, { overwrite: true }, make)).rejects.toThrow(
      /it is not a dataset \(no train\/dataset\.json or test\/dataset\.json\)/,
    );
    expect(readdirSync(dir).sort()).toEqual(['ds', 'photos', 'plain', 'unmarked']);
    expect(readFileSync(join(photos, 'train', 'holiday.jpg'), 'utf8')).toBe('mine');
  });

  it('never replaces the working directory, home or a link', async () => {
    const dir = tempDir();
    // Throws, so that even a broken check cannot get as far as replacing anything.
    const never = () => {
      throw new Error('the build ran');
    };
    for (const target of [process.cwd(), join(process.cwd(), '..'), '/']) {
      await expect(buildIntoDirectory(target, { overwrite: true }, never)).rejects.toThrow(
        /refusing to replace it: it is the root, your home or the working directory/,
      );
    }
    mkdirSync(join(dir, 'real'));
    symlinkSync(join(dir, 'real'), join(dir, 'link'));
    await expect(buildIntoDirectory(join(dir, 'link'), { overwrite: true }, never)).rejects.toThrow(
      /link: refusing to replace it: it is a symbolic link/,
    );
    expect(readdirSync(dir).sort()).toEqual(['link', 'real']);
  });

  it('writes into an existing empty directory, and keeps CSV outputs to their own kind', async () => {
    const dir = tempDir();
    const out = join(dir, 'empty');
    mkdirSync(out);
    await buildIntoDirectory(out, {}, make);
    expect(existsSync(join(out, 'train', 'dataset.json'))).toBe(true);
    await expect(
      buildIntoDirectory(out, { overwrite: true, kind: 'csv-splits' }, () => {}),
    ).rejects.toThrow(/trm does not write there \(train\)/);
    const csv = join(dir, 'csv');
    const writeCsv = (tmp: string) => writePuzzleCsv(join(tmp, 'train.csv'), [PUZZLE]);
    await buildIntoDirectory(csv, { kind: 'csv-splits' }, writeCsv);
    await buildIntoDirectory(csv, { overwrite: true, kind: 'csv-splits' }, writeCsv);
    expect(readdirSync(csv)).toEqual(['train.csv']);
  });
});
