/**
 * PLACEHOLDER — replaced when the model packages are wired in (lead engineer).
 *
 * `trm show --checkpoint` calls {@link predictExamples} to get the model's predicted tokens
 * for the shown examples and renders them next to the labels.
 */
import type { CliIO } from '../cli/types.js';
import { CliError } from '../errors.js';

/** What `trm show --checkpoint` asks for. */
export interface PredictRequest {
  /** Checkpoint path or hub id `owner/repo/file`. */
  checkpoint: string;
  /** Dataset directory. */
  datasetDir: string;
  split: 'train' | 'test';
  set: string;
  /** Example indices within the set. */
  indices: readonly number[];
  io: CliIO;
  debug: boolean;
}

/** Predicted token rows (one `seq_len` array per requested index). */
export async function predictExamples(_req: PredictRequest): Promise<ArrayLike<number>[]> {
  throw new CliError(
    'trm show --checkpoint is not wired yet: predictions need the model packages. Run it without --checkpoint to see inputs and labels.',
    {
      exitCode: 1,
    },
  );
}
