/**
 * Release hygiene of every publishable workspace package: its package.json metadata, the file
 * list of `pnpm pack`, and a fresh project outside the workspace that installs all the packed
 * tarballs together with npm, imports each package, type-checks against their declarations and
 * runs the `trm` binary.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const docsDir = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
const repoDir = resolve(docsDir, '../..');

interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  type?: string;
  main?: string;
  types?: string;
  exports?: Record<string, unknown>;
  files?: string[];
  sideEffects?: boolean | string[];
  license?: string;
  keywords?: string[];
  publishConfig?: { access?: string };
  bin?: Record<string, string>;
  engines?: Record<string, string>;
  dependencies?: Record<string, string>;
}

interface Pkg {
  dir: string;
  manifest: Manifest;
}

/** Exports each package must expose (a sample of its public API). */
const EXPECTED_EXPORTS: Record<string, string[]> = {
  '@trm/tensor': ['Device', 'tensor', 'Generator', 'setDefaultDevice'],
  '@trm/nn': ['Module', 'Linear', 'Attention', 'rmsNorm'],
  '@trm/model': ['TinyRecursiveModel', 'resolveTrmConfig', 'loadCheckpoint', 'saveSafetensors'],
  '@trm/optim': ['AdamATan2', 'SparseSignSGD', 'cosineWithWarmup', 'Ema'],
  '@trm/datasets': ['buildSudokuDataset', 'PuzzleDataset', 'readNpy', 'generateSudokus'],
  '@trm/evaluators': ['createEvaluators', 'wilsonInterval', 'ArcEvaluator'],
  '@trm/cli': ['runCli', 'commands', 'CONFIG_SCHEMA', 'resolveTrainConfig'],
};

function workspacePackages(): Pkg[] {
  const out: Pkg[] = [];
  for (const parent of ['packages', 'apps']) {
    for (const name of readdirSync(join(repoDir, parent)).sort()) {
      const file = join(repoDir, parent, name, 'package.json');
      if (!existsSync(file)) continue;
      out.push({
        dir: join(repoDir, parent, name),
        manifest: JSON.parse(readFileSync(file, 'utf8')) as Manifest,
      });
    }
  }
  return out;
}

const all = workspacePackages();
const publishable = all.filter((p) => !p.manifest.private);

function run(cmd: string, args: string[], cwd: string): string {
  return execFileSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, npm_config_update_notifier: 'false' },
    maxBuffer: 64 * 1024 * 1024,
  });
}

describe('release hygiene', () => {
  it('covers every workspace package; only @trm/docs is private', () => {
    expect(all.filter((p) => p.manifest.private).map((p) => p.manifest.name)).toEqual([
      '@trm/docs',
    ]);
    // The known packages are all here (a new one is checked like the others, without a sample).
    expect(publishable.map((p) => p.manifest.name)).toEqual(
      expect.arrayContaining(Object.keys(EXPECTED_EXPORTS)),
    );
  });

  describe.each(publishable.map((p) => [p.manifest.name, p] as const))(
    '%s package.json',
    (_, pkg) => {
      const m = pkg.manifest;
      it('declares ESM exports with types that point at built files', () => {
        expect(m.type).toBe('module');
        const root = m.exports?.['.'] as { types?: string; import?: string } | undefined;
        expect(root?.types).toBe('./dist/index.d.ts');
        expect(root?.import).toBe('./dist/index.js');
        expect(m.types).toBe('./dist/index.d.ts');
        expect(m.main).toBe('./dist/index.js');
        expect(m.exports?.['./package.json']).toBe('./package.json');
        // Conditions must list `types` first so TypeScript picks it.
        expect(Object.keys(root ?? {})[0]).toBe('types');
        for (const f of ['dist/index.js', 'dist/index.d.ts']) {
          expect(existsSync(join(pkg.dir, f)), `${m.name}: ${f} (run pnpm build)`).toBe(true);
        }
        for (const target of Object.values(m.bin ?? {})) {
          expect(existsSync(join(pkg.dir, target)), `${m.name}: bin ${target}`).toBe(true);
        }
      });

      it('has files, sideEffects, licence, README, keywords, engines and public access', () => {
        expect(m.files).toEqual(expect.arrayContaining(['dist', 'README.md', 'LICENSE']));
        expect(typeof m.sideEffects === 'boolean' || Array.isArray(m.sideEffects)).toBe(true);
        expect(m.license).toBe('MIT');
        expect(existsSync(join(pkg.dir, 'LICENSE'))).toBe(true);
        expect(readFileSync(join(pkg.dir, 'README.md'), 'utf8')).toMatch(
          new RegExp(`^# ${m.name}`),
        );
        expect(m.keywords?.length ?? 0).toBeGreaterThan(0);
        expect(m.engines?.node).toBe('>=20');
        expect(m.publishConfig?.access).toBe('public');
      });
    },
  );

  describe('packed tarballs in a fresh project outside the workspace', () => {
    let work: string;
    const tarballs = new Map<string, string>();
    const contents = new Map<string, string[]>();

    beforeAll(() => {
      work = mkdtempSync(join(tmpdir(), 'trm-pack-'));
      const packDir = join(work, 'tarballs');
      for (const pkg of publishable) {
        const out = run('pnpm', ['pack', '--json', '--pack-destination', packDir], pkg.dir);
        const info = JSON.parse(out.slice(out.indexOf('{'))) as {
          filename: string;
          files: { path: string }[];
        };
        tarballs.set(pkg.manifest.name, info.filename);
        contents.set(
          pkg.manifest.name,
          info.files.map((f) => f.path),
        );
      }
    });

    afterAll(() => {
      if (work) rmSync(work, { recursive: true, force: true });
    });

    it('packs dist, README.md, LICENSE and package.json, and nothing from src, tests or fixtures', () => {
      for (const pkg of publishable) {
        const files = contents.get(pkg.manifest.name)!;
        expect(files, pkg.manifest.name).toEqual(
          expect.arrayContaining([
            'package.json',
            'README.md',
            'LICENSE',
            'dist/index.js',
            'dist/index.d.ts',
          ]),
        );
        const junk = files.filter(
          (f) =>
            !/^(package\.json|README\.md|LICENSE|CHANGELOG\.md)$/.test(f) &&
            !f.startsWith('dist/') &&
            // @trm/cli ships the YAML configuration it reads at run time.
            !(pkg.manifest.name === '@trm/cli' && /^config\/.+\.yaml$/.test(f)),
        );
        expect(junk, `${pkg.manifest.name} packs unexpected files`).toEqual([]);
        expect(
          files.filter((f) => /(^|\/)(test|tests|fixtures|__tests__|node_modules)\//.test(f)),
        ).toEqual([]);
      }
    });

    it('rewrites workspace: dependencies to real versions', () => {
      for (const [name, file] of tarballs) {
        const manifest = run('tar', ['-xzOf', file, 'package/package.json'], work);
        expect(manifest, name).not.toContain('workspace:');
      }
    });

    it('installs all tarballs together with npm, imports every package and runs trm', () => {
      const app = join(work, 'app');
      execFileSync('mkdir', ['-p', app]);
      writeFileSync(
        join(app, 'package.json'),
        `${JSON.stringify({ name: 'trm-pack-smoke', private: true, type: 'module' }, null, 2)}\n`,
      );
      run(
        'npm',
        [
          'install',
          '--no-audit',
          '--no-fund',
          '--no-package-lock',
          '--loglevel=error',
          ...tarballs.values(),
        ],
        app,
      );
      for (const name of tarballs.keys()) {
        const expected = EXPECTED_EXPORTS[name] ?? [];
        const keys = JSON.parse(
          run(
            process.execPath,
            [
              '--input-type=module',
              '-e',
              `console.log(JSON.stringify(Object.keys(await import('${name}'))))`,
            ],
            app,
          ),
        ) as string[];
        expect(keys.length, `${name} exports nothing`).toBeGreaterThan(0);
        expect(keys, name).toEqual(expect.arrayContaining(expected));
      }
      // The bin works from the installed package and finds its shipped configuration.
      const cliVersion = JSON.parse(
        readFileSync(join(repoDir, 'apps/cli/package.json'), 'utf8'),
      ).version;
      expect(run(join(app, 'node_modules', '.bin', 'trm'), ['--version'], app).trim()).toBe(
        cliVersion,
      );
      expect(run(join(app, 'node_modules', '.bin', 'trm'), ['presets'], app)).toContain(
        'tiny-sudoku',
      );

      // The declarations resolve through `exports` for a NodeNext TypeScript consumer.
      writeFileSync(
        join(app, 'check.ts'),
        `${Object.entries(EXPECTED_EXPORTS)
          .map(
            ([name, names], i) =>
              `import { ${names.join(', ')} } from '${name}';\nexport const x${i} = [${names.join(', ')}];`,
          )
          .join('\n')}\n`,
      );
      writeFileSync(
        join(app, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            module: 'NodeNext',
            moduleResolution: 'NodeNext',
            target: 'ES2022',
            strict: true,
            noEmit: true,
            skipLibCheck: true,
            types: [],
          },
          files: ['check.ts'],
        }),
      );
      const tsc = join(docsDir, 'node_modules', 'typescript', 'bin', 'tsc');
      run(process.execPath, [tsc, '-p', 'tsconfig.json'], app);
    });
  });
});
