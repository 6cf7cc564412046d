/**
 * How the user runs trm, for the commands that help texts and hints suggest: `trm` when it is
 * installed, `pnpm trm` in a checkout of the repository (whose launcher sets `TRM_COMMAND`).
 */
export function invocation(env: NodeJS.ProcessEnv): string {
  const cmd = env.TRM_COMMAND?.trim();
  return cmd && /^[\w ./-]+$/.test(cmd) ? cmd : 'trm';
}

/** `text` with every command line that starts with `trm ` spelled as the user runs it. */
export function spellCommands(text: string, cmd: string): string {
  return cmd === 'trm' ? text : text.replace(/(^|[\s'`(])trm (?=[a-z-])/gm, `$1${cmd} `);
}
