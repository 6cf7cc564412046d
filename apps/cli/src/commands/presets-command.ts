import { invocation, spellCommands } from '../cli/invocation.js';
import type { CommandContext } from '../cli/types.js';
import { configSearchPath } from '../config/files.js';
import { listPresets } from '../config/presets.js';
import { str } from './common.js';

/** `trm presets`. */
export async function presetsCommand(ctx: CommandContext): Promise<number> {
  const presets = listPresets(configSearchPath(str(ctx, 'config-dir'), ctx.io.cwd));
  const width = Math.max(...presets.map((p) => p.name.length)) + 2;
  const lines = ['Presets (trm train --preset NAME):', ''];
  for (const p of presets) {
    lines.push(`  ${p.name.padEnd(width)}${p.description}`);
    if (p.generatesData) lines.push(`  ${' '.repeat(width)}dataset: generated on first use`);
    else if (p.requires) lines.push(`  ${' '.repeat(width)}dataset: ${p.requires}`);
  }
  ctx.io.stdout.write(`${spellCommands(lines.join('\n'), invocation(ctx.io.env))}\n`);
  return 0;
}
