import { createHash, type Hash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';

async function digest(path: string, hash: Hash): Promise<string> {
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** SHA-256 of a file, hex: how the hub names large (LFS) files, and our name for untagged ones. */
export function sha256File(path: string): Promise<string> {
  return digest(path, createHash('sha256'));
}

/**
 * Whether a downloaded file has the content its etag promises. The hub's etags are content
 * hashes: SHA-256 for LFS files (64 hex digits), the git blob id — SHA-1 of
 * `blob <size>\0<content>` — for the others (40). Any other etag (a mirror's own) cannot be
 * checked, and `undefined` says so.
 */
export async function matchesEtag(path: string, etag: string): Promise<boolean | undefined> {
  if (/^[0-9a-f]{64}$/.test(etag)) return (await sha256File(path)) === etag;
  if (/^[0-9a-f]{40}$/.test(etag)) {
    const hash = createHash('sha1').update(`blob ${statSync(path).size}\0`);
    return (await digest(path, hash)) === etag;
  }
  return undefined;
}
