// Types of the helpers scripts/generate.mjs exports (used by test/generate.test.ts).
export interface DocPackage {
  name: string;
  dir: string;
  slug: string;
}
export const PACKAGES: DocPackage[];
/** How the site spells a `trm` command (`pnpm trm`). */
export const TRM: string;
/** A `trm …` command of the CLI's metadata in the site's spelling. */
export function shown(command: string): string;
/** Text whose `trm …` code spans are respelled in the site's spelling. */
export function shownInText(text: string): string;
export function cell(text: unknown): string;
export function flow(value: unknown): string;
export function anchorOf(name: string): string;
export function renderCliReference(cli: Record<string, unknown>): string;
export function renderConfigReference(
  cli: Record<string, unknown>,
  presets: readonly unknown[],
): string;
export function readmeSection(markdown: string, pattern?: RegExp): string | undefined;
export function embedReadme(text: string): string;
export function renderResultsJson(json: unknown): string;
export function renderBenchmarks(cli?: Record<string, unknown>): string;
/** The `pnpm bench` results of `dir` (default apps/bench/results), charts copied to `publicDir`. */
export function renderBenchHarness(dir?: string, publicDir?: string): string;
export function readmeCommands(markdown: string, heading: RegExp): { lang: string; code: string }[];
export function renderReadmeCommands(markdown: string): string;
export function renderStatus(cli: Record<string, unknown>, name: string): string;
export function renderDependencyTable(): string;
export function slugify(text: string): string;
export function pageAnchors(markdown: string): Set<string>;
