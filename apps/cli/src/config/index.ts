export { configSearchPath, listConfigNames, shippedConfigDir } from './files.js';
export {
  isOverrideToken,
  type Override,
  type OverrideKind,
  parseOverride,
  parseOverrideValue,
} from './overrides.js';
export { listPresets, type PresetInfo } from './presets.js';
export {
  type ConfigSources,
  type DatasetRecipe,
  loadTrainConfigFile,
  type ResolvedConfig,
  type ResolveOptions,
  resolveTrainConfig,
} from './resolve.js';
export {
  type ArchConfig,
  CONFIG_SCHEMA,
  type ConfigKeySpec,
  type ConfigValueType,
  type EvaluatorConfig,
  type LossConfig,
  type TrainConfig,
} from './schema.js';
export { toYaml } from './yaml.js';
