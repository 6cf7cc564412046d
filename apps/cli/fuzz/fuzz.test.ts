/**
 * The fuzz suite: every malformed input, bad flag, hostile checkpoint, output path and signal
 * case of ./cases, each run through the real `trm` binary and held to the contract (see
 * lib/harness.ts). Run with `pnpm test:fuzz` (after `pnpm build`).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkpointCases } from './cases/checkpoints.js';
import { configFlagCases } from './cases/config-flags.js';
import { datasetFileCases } from './cases/dataset-files.js';
import { exportCases } from './cases/export.js';
import { type HubServers, outputSignalHubCases } from './cases/outputs-signals-hub.js';
import { sourceCases } from './cases/sources.js';
import { type Fixtures, makeFixtures } from './lib/fixtures.js';
import {
  type CaseDir,
  contractViolations,
  diffSnapshots,
  type FuzzCase,
  runTrm,
  type Snapshot,
  snapshot,
} from './lib/harness.js';

const root = mkdtempSync(join(tmpdir(), 'trm-fuzz-'));
const fixtureRoot = join(root, 'fixtures');
// Paths are fixed now so the cases can be listed; the files are made in beforeAll.
const f: Fixtures = {
  root: fixtureRoot,
  sudokuCsv: join(fixtureRoot, 'sudoku-csv'),
  mazeCsv: join(fixtureRoot, 'maze-csv'),
  dataset: join(fixtureRoot, 'sudoku4'),
  mazeDataset: join(fixtureRoot, 'maze5'),
  run: join(fixtureRoot, 'run'),
  checkpoint: '',
  pt: join(fixtureRoot, 'weights.pt'),
  arcPrefix: join(fixtureRoot, 'arc', 'mini'),
};
const hub: HubServers = { silent: '', notFound: '' };
/** What each case did, written to test-output/fuzz-report.json for the record. */
const results: {
  id: string;
  klass: string;
  code: number | null;
  seconds: number;
  peakRssMiB?: number;
}[] = [];
const servers: Server[] = [];
let fixturesBefore: Snapshot;

const cases: FuzzCase[] = [
  ...datasetFileCases(f),
  ...checkpointCases(f),
  ...sourceCases(f),
  ...configFlagCases(f),
  ...outputSignalHubCases(f, hub),
  ...exportCases(f),
];

async function listen(handler: RequestListener): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  Object.assign(f, await makeFixtures(fixtureRoot));
  fixturesBefore = snapshot(fixtureRoot);
  hub.silent = await listen(() => {
    // Accept and never answer.
  });
  hub.notFound = await listen((_req, res) => res.writeHead(404).end('Entry not found'));
  mkdirSync(join(root, 'cases'));
}, 300_000);

afterAll(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
  if (!process.env.TRM_FUZZ_KEEP) rmSync(root, { recursive: true, force: true });
});

describe.concurrent('trm keeps its contract on malformed input', () => {
  for (const c of cases) {
    it(c.id, async ({ skip }) => {
      const why = c.skip?.();
      if (why) skip(why);
      const dir = mkdtempSync(join(root, 'cases', `${c.id.replace(/\W+/g, '_')}-`));
      const ws: CaseDir = { dir, path: (rel) => join(dir, rel) };
      const run = await c.arrange(ws);
      const before = snapshot(dir);
      const r = await runTrm(dir, run);
      const result = { ...r, before, after: snapshot(dir) };
      const violations = contractViolations(run, result);
      results.push({
        id: c.id,
        klass: c.klass,
        code: r.code,
        seconds: Number(r.seconds.toFixed(2)),
        ...(r.peakRssMiB !== undefined ? { peakRssMiB: Math.round(r.peakRssMiB) } : {}),
      });
      let rerunErr = '';
      if (run.rerun) {
        const again = await runTrm(dir, { argv: run.rerun.argv, code: run.rerun.code });
        if (again.code !== run.rerun.code) {
          violations.push(`rerun exited ${again.code}, expected ${run.rerun.code}`);
          rerunErr = again.stderr;
        }
      }
      try {
        await run.check?.(result);
      } catch (e) {
        violations.push((e as Error).message);
      }
      const report = [
        ...violations.map((v) => `violation: ${v}`),
        `$ trm ${run.argv.join(' ')}`,
        `exit ${r.code ?? r.signal} in ${r.seconds.toFixed(1)} s, peak RSS ${r.peakRssMiB?.toFixed(0) ?? '?'} MiB`,
        '--- stderr (tail) ---',
        r.stderr.slice(-1500),
        rerunErr && `--- rerun stderr ---\n${rerunErr.slice(-800)}`,
      ].join('\n');
      expect(violations, report).toEqual([]);
    });
  }
});

describe('the suite itself', () => {
  it('covers every class with at least 150 cases', () => {
    const byClass = new Map<string, number>();
    for (const c of cases) byClass.set(c.klass, (byClass.get(c.klass) ?? 0) + 1);
    expect(cases.length).toBeGreaterThanOrEqual(150);
    expect(new Set(cases.map((c) => c.id)).size).toBe(cases.length);
    for (const k of [
      'npy',
      'dataset.json',
      'identifiers.json',
      'safetensors',
      'pt',
      'csv',
      'arc-json',
      'config',
      'flags',
      'output-paths',
      'signals',
      'hub',
    ])
      expect(byClass.get(k) ?? 0, k).toBeGreaterThan(0);
    process.stderr.write(
      `fuzz cases: ${cases.length} (${[...byClass].map(([k, n]) => `${k} ${n}`).join(', ')})\n`,
    );
  });
});

afterAll(() => {
  const out = join(fileURLToPath(new URL('..', import.meta.url)), 'test-output');
  mkdirSync(out, { recursive: true });
  results.sort((a, b) => a.id.localeCompare(b.id));
  writeFileSync(join(out, 'fuzz-report.json'), `${JSON.stringify(results, null, 1)}\n`);
  const worst = results
    .filter((r) => r.peakRssMiB !== undefined)
    .sort((a, b) => b.peakRssMiB! - a.peakRssMiB!)[0];
  const slowest = [...results].sort((a, b) => b.seconds - a.seconds)[0];
  if (worst && slowest)
    process.stderr.write(
      `fuzz: ${results.length} cases run; highest peak RSS ${worst.peakRssMiB} MiB (${worst.id}); slowest ${slowest.seconds} s (${slowest.id})\n`,
    );
  // The shared fixtures are inputs too: no case may have changed them.
  if (fixturesBefore) expect(diffSnapshots(fixturesBefore, snapshot(fixtureRoot))).toEqual([]);
});
