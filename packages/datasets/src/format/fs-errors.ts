/**
 * Operating-system errors in plain words. A raw `EISDIR: illegal operation on a directory,
 * read` tells a user neither which of their paths is wrong nor what to do; these helpers turn
 * one into a {@link DatasetError} that names the path and says what happened, keeping the
 * original error as `cause` (callers that sort failures by `code`, e.g. ENOSPC, still can).
 */
import { DatasetError } from '../errors.js';

/** The `code` of a Node.js system error (`ENOENT`, `ENOSPC`, …), if it has one. */
export function fsCode(e: unknown): string | undefined {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

const PLAIN: Record<string, string> = {
  ENOENT: 'it does not exist',
  EISDIR: 'it is a directory, not a file',
  ENOTDIR: 'a part of the path is a file, not a directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EEXIST: 'something of that name already exists',
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is exceeded',
  EIO: 'input/output error (a failing disk or network file system)',
  EROFS: 'the file system is read-only',
  ENAMETOOLONG: 'the name is too long',
  ELOOP: 'too many levels of symbolic links',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files',
  EBUSY: 'it is busy (in use by another program)',
  EXDEV: 'it is on another file system',
};

/** What went wrong, as a short sentence (the system message when the code is unfamiliar). */
export function describeFsError(e: unknown): string {
  const code = fsCode(e);
  return (code && PLAIN[code]) ?? (e instanceof Error ? e.message : String(e));
}

/**
 * A {@link DatasetError} for a failed write of `path`. A full disk or quota gets its own
 * sentence, since it is the one failure the user fixes outside trm.
 */
export function writeError(path: string, e: unknown): DatasetError {
  if (e instanceof DatasetError) return e;
  const code = fsCode(e);
  const message =
    code === 'ENOSPC'
      ? `disk full while writing ${path}; free some space and run again`
      : code === 'EDQUOT'
        ? `disk quota exceeded while writing ${path}; free some space and run again`
        : code === 'EIO'
          ? `input/output error while writing ${path} (a failing disk or network file system); check the disk and run again`
          : `${path}: cannot write: ${describeFsError(e)}`;
  return new DatasetError(message, { file: path, cause: e });
}

/** A {@link DatasetError} for a failed file-system operation (`action`: "create", "read", …). */
export function fsError(action: string, path: string, e: unknown, hint = ''): DatasetError {
  if (e instanceof DatasetError) return e;
  const code = fsCode(e);
  if (code === 'ENOSPC' || code === 'EDQUOT') return writeError(path, e);
  return new DatasetError(`${path}: cannot ${action}: ${describeFsError(e)}${hint}`, {
    file: path,
    cause: e,
  });
}
