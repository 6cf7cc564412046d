export {
  type DownloadProgress,
  defaultHubCacheDir,
  downloadHubFile,
  type HubOptions,
  hubFileUrl,
  isHubRepoId,
} from './download.js';
