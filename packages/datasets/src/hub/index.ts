export { hubRepoFolder } from './cache.js';
export { downloadHubFile, hubFileUrl, isHubRepoId } from './download.js';
export {
  DEFAULT_HUB_ENDPOINT,
  defaultHubCacheDir,
  hfHome,
  hubOptionsFromEnv,
  hubToken,
} from './env.js';
export type {
  DownloadProgress,
  HubEnv,
  HubOptions,
  HubRepoType,
  HubRetryEvent,
} from './options.js';
