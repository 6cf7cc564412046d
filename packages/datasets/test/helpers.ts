import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';

export const PACKAGE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const FIXTURES = join(PACKAGE_DIR, 'fixtures');
/** `<repo>/../shared/data/arc-agi`: the ARC JSON, present on development machines only. */
export const ARC_DATA = resolve(PACKAGE_DIR, '..', '..', '..', 'shared', 'data', 'arc-agi');
export const HAS_ARC_DATA = existsSync(join(ARC_DATA, 'arc-agi_evaluation_challenges.json'));

/** A fresh temporary directory, removed after the test file. */
export function tempDir(prefix = 'trm-datasets-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const servers: Server[] = [];
afterAll(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

async function bind(s: Server): Promise<string> {
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

/** A local HTTP server for this test file (closed after it); resolves to its base URL. */
export function listen(handler: Handler): Promise<string> {
  const s = createServer(handler);
  servers.push(s);
  return bind(s);
}

/** A base URL on a port nothing listens on: the connection is refused. */
export async function refusedUrl(): Promise<string> {
  const gone = createServer();
  const url = await bind(gone);
  await new Promise((r) => gone.close(r));
  return url;
}

let numpyAvailable: boolean | undefined;
/** Whether `python3` with NumPy is available (optional extra checks only). */
export function hasNumpy(): boolean {
  if (numpyAvailable === undefined) {
    try {
      execFileSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' });
      numpyAvailable = true;
    } catch {
      numpyAvailable = false;
    }
  }
  return numpyAvailable;
}

/** Runs a Python snippet and returns its stdout (only call when {@link hasNumpy}). */
export function python(code: string): string {
  return execFileSync('python3', ['-c', code], { encoding: 'utf8' });
}

/** Tokens (d + 1, '.' → 1) of a Sudoku string, for building expectations. */
export function sudokuTokens(s: string): Uint8Array {
  return Uint8Array.from(s, (ch) => (ch === '.' || ch === '0' ? 1 : Number(ch) + 1));
}
