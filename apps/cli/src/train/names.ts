import { basename } from 'node:path';

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
