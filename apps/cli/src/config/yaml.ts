import { stringify } from 'yaml';
import type { TrainConfig } from './schema.js';

/**
 * The resolved config as YAML, for `all_config.yaml` next to the checkpoints: every key,
 * interpolations already resolved, loadable again with `loadTrainConfigFile`.
 */
export function toYaml(config: TrainConfig | Record<string, unknown>, header?: string): string {
  const body = stringify(config, {
    lineWidth: 0,
    nullStr: 'null',
    // Lists of scalars on one line ([a, b]) read like the reference's files.
    collectionStyle: 'any',
    flowCollectionPadding: false,
  });
  const head = header
    ? `${header
        .split('\n')
        .map((l) => `# ${l}`.trimEnd())
        .join('\n')}\n`
    : '';
  return head + body;
}
