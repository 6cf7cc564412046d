import { defineConfig } from 'tsup';
import { libraryBuild, withBrowserEntry } from '../../tsup.shared.ts';

export default defineConfig({
  ...libraryBuild,
  ...withBrowserEntry,
  entry: [...withBrowserEntry.entry],
  format: [...libraryBuild.format],
});
