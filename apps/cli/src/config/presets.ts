import { findConfigFile, listConfigNames, readYamlMapping } from './files.js';

/** A preset as listed by `trm presets` and the docs. */
export interface PresetInfo {
  name: string;
  description: string;
  /** Command that builds its dataset, if the preset says. */
  requires: string | undefined;
  /** Whether the preset generates its own dataset when missing. */
  generatesData: boolean;
  file: string;
}

/** Presets on the search path (user's `--config-dir` first, then the shipped ones). */
export function listPresets(searchPath: readonly string[]): PresetInfo[] {
  return listConfigNames(searchPath, 'presets').map((name) => {
    const file = findConfigFile(searchPath, `presets/${name}.yaml`)!;
    const body = readYamlMapping(file);
    return {
      name,
      description: body._description_ === undefined ? '' : String(body._description_),
      requires: body._requires_ === undefined ? undefined : String(body._requires_),
      generatesData: body._dataset_ !== undefined,
      file,
    };
  });
}
