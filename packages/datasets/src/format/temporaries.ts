/**
 * The names this package writes under before renaming into place, and the clean-up of those
 * left behind by runs that were killed (SIGKILL, power loss) before they could remove them.
 *
 * Every name carries the writer's pid, so "left behind" is decidable: the pid is no longer a
 * running process. Only names of exactly these patterns beside the same target are touched.
 */
import { existsSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** `NAME.tmp-<pid>`: a file written whole, then renamed to NAME. */
export function tempFileFor(path: string): string {
  return `${path}.tmp-${process.pid}`;
}

/** `.NAME.tmp-<pid>-<stamp>` and `.NAME.old-<pid>-<stamp>`: a staged and a replaced output. */
export function stagingNamesFor(target: string): { staged: string; old: string } {
  const stamp = `${process.pid}-${Date.now().toString(36)}`;
  const parent = dirname(target);
  const name = basename(target);
  return {
    staged: join(parent, `.${name}.tmp-${stamp}`),
    old: join(parent, `.${name}.old-${stamp}`),
  };
}

/** Whether a process with this pid exists (signal 0 probes without signalling). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    // EPERM: it exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A killed process whose parent has not reaped it yet (a zombie) still answers signal 0,
  // but it will never write again. Linux says so in /proc; elsewhere assume it lives.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Removes what killed runs left beside `target`: staged directories, temporary files and
 * replaced outputs whose writer is gone. A replaced output (`.NAME.old-…`) is put back
 * instead when `target` itself is missing — the run died between moving the old output
 * aside and moving the new one in, and the old one is then the only complete copy.
 * Returns the paths removed or restored. Never throws: clean-up must not stop a run.
 */
export function removeStaleTemporaries(target: string): string[] {
  const parent = dirname(target);
  let names: string[];
  try {
    if (!existsSync(parent)) return [];
    names = readdirSync(parent);
  } catch {
    return [];
  }
  const base = escapeRe(basename(target));
  const staged = new RegExp(`^\\.${base}\\.(tmp|old)-(\\d+)-[a-z0-9]+$`);
  const file = new RegExp(`^${base}\\.tmp-(\\d+)$`);
  const done: string[] = [];
  for (const name of names) {
    const m = staged.exec(name);
    const f = m ? null : file.exec(name);
    const pid = Number(m ? m[2] : f?.[1]);
    // pid 0 and 1 are not writers' (and kill(0) would probe our own process group).
    if ((!m && !f) || !Number.isSafeInteger(pid) || pid < 2) continue;
    if (pid === process.pid || alive(pid)) continue;
    const path = join(parent, name);
    try {
      if (m?.[1] === 'old' && !existsSync(target)) renameSync(path, target);
      else rmSync(path, { recursive: true, force: true });
      done.push(path);
    } catch {
      // Someone else's clean-up got there first, or we may not: leave it.
    }
  }
  return done;
}
