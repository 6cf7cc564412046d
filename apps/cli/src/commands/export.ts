/**
 * `trm export --checkpoint FILE --to pt --out FILE.pt`: writes a checkpoint's model weights in
 * another format. `pt` is a `torch.save` file (an `OrderedDict` state dict under the
 * reference's names) that `torch.load(path, weights_only=True)` reads.
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { readExportableStateDict, saveTorchCheckpoint } from '@trm/model';
import type { CommandContext } from '../cli/types.js';
import { InputError, UsageError } from '../errors.js';
import { localCheckpoint } from './checkpoint-arg.js';
import { bool, checkOutputFree, plural, resolvePath, str } from './common.js';

/** Formats `trm export --to` writes. */
export const EXPORT_FORMATS = ['pt'] as const;

/** `trm export`. */
export async function exportCommand(ctx: CommandContext): Promise<number> {
  const { io } = ctx;
  const to = str(ctx, 'to')!;
  if (!(EXPORT_FORMATS as readonly string[]).includes(to)) {
    throw new UsageError(
      `--to ${to} is not a format trm export writes: use --to pt (a torch.save file).`,
      { command: 'export' },
    );
  }
  const outArg = str(ctx, 'out')!;
  const out = resolvePath(io, outArg);
  const overwrite = bool(ctx, 'overwrite');
  if (existsSync(out) && statSync(out).isDirectory()) {
    throw new InputError(
      `--out ${outArg} is a directory: give the path of the .pt file to write, such as ${outArg.replace(/\/+$/, '')}/model.pt.`,
      { file: out },
    );
  }
  checkOutputFree(out, overwrite, '--out file');
  const input = await localCheckpoint(str(ctx, 'checkpoint')!, io, '--checkpoint');
  if (resolvePath(io, input) === out) {
    throw new InputError(
      `--out ${outArg} is the checkpoint being exported: write the export to another file.`,
      { file: out },
    );
  }
  // The whole checkpoint is read and checked first, and saveTorchCheckpoint encodes it before
  // it opens its temporary file: a bad checkpoint leaves nothing behind.
  const read = await readExportableStateDict(input);
  mkdirSync(dirname(out), { recursive: true });
  await saveTorchCheckpoint(out, read.tensors);
  const bytes = statSync(out).size;
  const skipped =
    read.skipped.length > 0
      ? `; left out ${plural(read.skipped.length, 'tensor')} that ${read.skipped.length === 1 ? 'is' : 'are'} not model weights (${read.skipped.slice(0, 3).join(', ')}${read.skipped.length > 3 ? ', …' : ''})`
      : '';
  io.stdout.write(
    `wrote ${out} (torch.save, ${plural(read.tensors.size, 'tensor')}, ${plural(bytes, 'byte')}) from ${input} (${read.format})${skipped}\n` +
      `load it in Python with: torch.load(${JSON.stringify(outArg)}, weights_only=True)\n`,
  );
  return 0;
}
