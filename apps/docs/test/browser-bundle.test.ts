/**
 * The browser builds of the packages: bundled with esbuild for the browser (which takes each
 * package's `browser` export condition), they must pull in no Node module and not dawn.node's
 * `webgpu` package, and expose the browser API (the Node entry's, less file access). The last
 * test shows the check catches Node code: the Node entries bundled the same way fail it.
 */
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { type BuildOptions, build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { docsDir } from './support/site.js';

const BROWSER_PACKAGES = ['@trm/tensor', '@trm/nn', '@trm/model', '@trm/datasets'] as const;

/**
 * Bundles `import * from pkg` and returns every module that went into it or stayed an
 * external import, and esbuild's errors (Node built-ins cannot be resolved for a browser).
 */
async function bundle(
  pkg: string,
  options: BuildOptions,
): Promise<{ modules: string[]; errors: string[] }> {
  try {
    const result = await build({
      stdin: { contents: `export * from '${pkg}';`, resolveDir: docsDir, loader: 'js' },
      bundle: true,
      format: 'esm',
      write: false,
      metafile: true,
      logLevel: 'silent',
      ...options,
    });
    const meta = result.metafile!;
    const output = Object.values(meta.outputs)[0]!;
    return {
      modules: [
        ...Object.keys(meta.inputs),
        ...output.imports.filter((i) => i.external).map((i) => i.path),
      ],
      errors: [],
    };
  } catch (error) {
    const errors = (error as { errors?: { text: string }[] }).errors;
    if (!errors) throw error;
    return { modules: [], errors: errors.map((e) => e.text) };
  }
}

/**
 * Modules of a bundle that only Node has: built-ins (tsup writes `node:fs` as `fs`) and
 * dawn.node's `webgpu` package.
 */
function nodeOnly(modules: string[]): string[] {
  return modules.filter(
    (m) =>
      m.startsWith('node:') ||
      builtinModules.includes(m) ||
      m === 'webgpu' ||
      /(^|[/\\])webgpu[/\\]/.test(m),
  );
}

describe('browser builds of @trm/tensor, @trm/nn, @trm/model and @trm/datasets', () => {
  it.each(BROWSER_PACKAGES)(
    '%s bundles for a browser without Node modules or dawn.node',
    async (pkg) => {
      const { modules, errors } = await bundle(pkg, { platform: 'browser' });
      expect(errors).toEqual([]);
      expect(nodeOnly(modules)).toEqual([]);
      // It really is the browser build of each package that has one.
      const name = pkg.slice('@trm/'.length);
      const entry = name === 'nn' ? 'index.js' : 'browser.js';
      expect(modules.some((m) => m.endsWith(`packages/${name}/dist/${entry}`))).toBe(true);
      if (pkg !== '@trm/datasets') {
        expect(modules.some((m) => m.endsWith('packages/tensor/dist/browser.js'))).toBe(true);
      }
    },
  );

  it('expose the browser API: all of @trm/tensor, and @trm/model and @trm/datasets less files', async () => {
    const keys = async (pkg: string, file: string) =>
      Object.keys(await import(join(docsDir, '..', '..', 'packages', pkg, 'dist', file))).sort();
    expect(await keys('tensor', 'browser.js')).toEqual(await keys('tensor', 'index.js'));
    for (const pkg of ['model', 'datasets']) {
      const browser = await keys(pkg, 'browser.js');
      const node = await keys(pkg, 'index.js');
      expect(browser.filter((k) => !node.includes(k))).toEqual([]);
    }
    expect(await keys('model', 'browser.js')).toEqual(
      expect.arrayContaining([
        'TinyRecursiveModel',
        'actSteps',
        'readModelCheckpointBytes',
        'loadWeightsInto',
        'resolveTrmConfig',
      ]),
    );
    expect(await keys('model', 'browser.js')).not.toContain('readModelCheckpoint');
    expect(await keys('datasets', 'browser.js')).toEqual(
      expect.arrayContaining(['encodeSudoku', 'generateSudoku', 'solveSudoku']),
    );
    const manifest = JSON.parse(
      readFileSync(join(docsDir, '..', '..', 'packages', 'model', 'package.json'), 'utf8'),
    );
    expect(manifest.exports['.'].browser).toBe('./dist/browser.js');
  });

  it('the check catches Node code: the Node entries fail it', async () => {
    // Without the browser condition esbuild takes the Node builds, as a misconfigured package
    // would give a browser; Node built-ins are left external so that they can be listed.
    const node: BuildOptions = {
      platform: 'neutral',
      mainFields: ['module', 'main'],
      external: [...builtinModules, 'node:*', 'webgpu'],
    };
    expect(nodeOnly((await bundle('@trm/tensor', node)).modules)).toEqual(['webgpu']);
    expect(nodeOnly((await bundle('@trm/model', node)).modules)).toEqual(
      expect.arrayContaining(['fs', 'zlib', 'webgpu']),
    );
  });
});
