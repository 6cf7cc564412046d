import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

const HUB_FILE_RE = /^[A-Za-z0-9][\w.-]*\/[\w.-]+\/.+$/;

/**
 * Whether `id` names a file on the Hugging Face hub (`owner/repo/file`) rather than a local
 * path: it has that shape, is not absolute or dotted, and neither it nor its first directory
 * exists locally (so a typo in a local path is reported as a missing file, not downloaded).
 */
export function isHubFileId(id: string, cwd: string): boolean {
  if (id.startsWith('.') || id.startsWith('/') || !HUB_FILE_RE.test(id)) return false;
  return !existsSync(resolve(cwd, id)) && !existsSync(resolve(cwd, id.split('/')[0]!));
}
