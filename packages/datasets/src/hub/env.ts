import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { HubError } from '../errors.js';
import type { HubEnv, HubOptions } from './options.js';

/** The hub that ids refer to when `HF_ENDPOINT` is not set. */
export const DEFAULT_HUB_ENDPOINT = 'https://huggingface.co';

function set(value: string | undefined): value is string {
  return value !== undefined && value.trim() !== '';
}

/** `~/x` as huggingface_hub expands it, so that one variable names one directory for both. */
function expandHome(path: string): string {
  return path === '~' || path.startsWith('~/') ? join(homedir(), path.slice(1)) : path;
}

/** huggingface_hub's truth values: `1`, `ON`, `YES`, `TRUE` in any case; anything else is false. */
export function envFlag(value: string | undefined): boolean {
  return value !== undefined && ['1', 'ON', 'YES', 'TRUE'].includes(value.trim().toUpperCase());
}

/**
 * The Hugging Face home directory: `HF_HOME`, else `$XDG_CACHE_HOME/huggingface`, else
 * `~/.cache/huggingface` (huggingface_hub's rule, so that both tools share one home).
 */
export function hfHome(env: HubEnv = process.env): string {
  if (set(env.HF_HOME)) return expandHome(env.HF_HOME);
  const cache = set(env.XDG_CACHE_HOME)
    ? expandHome(env.XDG_CACHE_HOME)
    : join(homedir(), '.cache');
  return join(cache, 'huggingface');
}

/**
 * The hub cache shared with huggingface_hub: `HF_HUB_CACHE` (or its older name
 * `HUGGINGFACE_HUB_CACHE`), else `$HF_HOME/hub`.
 */
export function defaultHubCacheDir(env: HubEnv = process.env): string {
  if (set(env.HF_HUB_CACHE)) return expandHome(env.HF_HUB_CACHE);
  if (set(env.HUGGINGFACE_HUB_CACHE)) return expandHome(env.HUGGINGFACE_HUB_CACHE);
  return join(hfHome(env), 'hub');
}

/**
 * The access token huggingface_hub would use: `HF_TOKEN` (or the older
 * `HUGGING_FACE_HUB_TOKEN`), else the file `HF_TOKEN_PATH` or `$HF_HOME/token` that
 * `hf auth login` writes. An unreadable token file counts as no token: it is only a default.
 */
export function hubToken(env: HubEnv = process.env): string | undefined {
  if (set(env.HF_TOKEN)) return env.HF_TOKEN.trim();
  if (set(env.HUGGING_FACE_HUB_TOKEN)) return env.HUGGING_FACE_HUB_TOKEN.trim();
  const file = set(env.HF_TOKEN_PATH) ? expandHome(env.HF_TOKEN_PATH) : join(hfHome(env), 'token');
  try {
    const token = readFileSync(file, 'utf8').trim();
    return token === '' ? undefined : token;
  } catch {
    return undefined;
  }
}

/**
 * A hub base URL without trailing slashes.
 *
 * @throws HubError when it is not an http(s) URL; `source` names where it came from.
 */
export function checkEndpoint(value: string, source: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value.trim());
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new HubError(
      `${source}=${value} is not an http(s) URL. Give the hub's base URL (${DEFAULT_HUB_ENDPOINT}, or a mirror's address such as https://hf-mirror.example).`,
    );
  }
  return value.trim().replace(/\/+$/, '');
}

function envMs(env: HubEnv, name: string): number | undefined {
  const value = env[name];
  if (!set(value)) return undefined;
  const seconds = Number(value.trim());
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new HubError(
      `${name}=${value} is not a positive number of seconds. Set it to, for example, 60 on a slow network, or unset it for the defaults (10 s for a response, 30 s between chunks).`,
    );
  }
  return seconds * 1000;
}

/**
 * Hub options from an environment, read as huggingface_hub reads it: `HF_ENDPOINT`,
 * `HF_TOKEN` (and the token file), `HF_HOME` / `HF_HUB_CACHE`, `HF_HUB_OFFLINE` (or
 * `TRANSFORMERS_OFFLINE`), and `HF_HUB_DOWNLOAD_TIMEOUT` in seconds, which sets both the
 * response and the read timeout (its one value covers both in huggingface_hub). The result
 * carries `env` itself, so options spread from it never fall back to `process.env`.
 *
 * @throws HubError naming the variable when `HF_ENDPOINT` is not an http(s) URL or
 *   `HF_HUB_DOWNLOAD_TIMEOUT` is not a positive number.
 */
export function hubOptionsFromEnv(env: HubEnv): HubOptions {
  const options: HubOptions = {
    env,
    endpoint: set(env.HF_ENDPOINT)
      ? checkEndpoint(env.HF_ENDPOINT, 'HF_ENDPOINT')
      : DEFAULT_HUB_ENDPOINT,
    cacheDir: defaultHubCacheDir(env),
    offline: envFlag(env.HF_HUB_OFFLINE) || envFlag(env.TRANSFORMERS_OFFLINE),
  };
  const token = hubToken(env);
  if (token !== undefined) options.token = token;
  const timeout = envMs(env, 'HF_HUB_DOWNLOAD_TIMEOUT');
  if (timeout !== undefined) {
    options.responseTimeoutMs = timeout;
    options.readTimeoutMs = timeout;
  }
  return options;
}
