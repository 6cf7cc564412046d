import { basename, join } from 'node:path';
import type { TrainConfig } from '../config/schema.js';

const ADJECTIVES = [
  'amber',
  'brisk',
  'calm',
  'dapper',
  'eager',
  'fuzzy',
  'gentle',
  'hazy',
  'ivory',
  'jolly',
  'keen',
  'lucid',
  'mellow',
  'nimble',
  'olive',
  'plucky',
  'quiet',
  'rapid',
  'sunny',
  'tidy',
  'upbeat',
  'vivid',
  'witty',
  'zesty',
];
const ANIMALS = [
  'otter',
  'lynx',
  'heron',
  'badger',
  'gecko',
  'ibis',
  'koala',
  'lemur',
  'marten',
  'newt',
  'orca',
  'puffin',
  'quail',
  'raven',
  'stoat',
  'tapir',
  'urchin',
  'vole',
  'wombat',
  'yak',
  'zebu',
  'bison',
  'crane',
  'dingo',
];

/** The reference's default project name: dataset folder capitalised + `-ACT-torch`. */
export function defaultProjectName(dataPath: string): string {
  const folder = basename(dataPath.replace(/[/\\]+$/, ''));
  return `${folder.charAt(0).toUpperCase()}${folder.slice(1).toLowerCase()}-ACT-torch`;
}

/** The reference's default run name: the model class and two random words. */
export function defaultRunName(archName: string, random: () => number = Math.random): string {
  const cls = archName.split('@').pop() ?? 'TRM';
  const pick = (list: readonly string[]) => list[Math.floor(random() * list.length)]!;
  return `${cls}-${pick(ADJECTIVES)}-${pick(ANIMALS)}`;
}

/**
 * The config with its project name, run name and run directory filled in (the reference's
 * defaults: `<Dataset>-ACT-torch`, `<Class>-<adjective>-<animal>`, `checkpoints/<project>/<run>`).
 * Resolved once, so that every rank of a multi-device run agrees on them.
 */
export function withRunNames(config: TrainConfig): TrainConfig {
  const project = config.project_name ?? defaultProjectName(config.data_paths[0] ?? 'data');
  const run = config.run_name ?? defaultRunName(config.arch.name);
  return {
    ...config,
    project_name: project,
    run_name: run,
    checkpoint_path: config.checkpoint_path ?? join('checkpoints', project, run),
  };
}
