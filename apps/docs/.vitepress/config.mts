import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type DefaultTheme, defineConfig } from 'vitepress';

// Written by TypeDoc (scripts/generate.mjs); absent until the first generate.
const apiSidebarFile = fileURLToPath(new URL('../src/api/typedoc-sidebar.json', import.meta.url));
const apiSidebar: DefaultTheme.SidebarItem[] = existsSync(apiSidebarFile)
  ? JSON.parse(readFileSync(apiSidebarFile, 'utf8'))
  : [];

// The source repository, from the root package.json (`repository`), when it names one.
const rootPackage = JSON.parse(
  readFileSync(fileURLToPath(new URL('../../../package.json', import.meta.url)), 'utf8'),
) as { repository?: string | { url?: string } };
const repositoryUrl = (
  typeof rootPackage.repository === 'string' ? rootPackage.repository : rootPackage.repository?.url
)
  ?.replace(/^git\+/, '')
  .replace(/\.git$/, '');

const guide: DefaultTheme.SidebarItem[] = [
  {
    text: 'Introduction',
    items: [
      { text: 'Getting started', link: '/guide/getting-started' },
      { text: 'How TRM works', link: '/guide/how-trm-works' },
      { text: 'Live demo: TRM solves a Sudoku', link: '/demo' },
      { text: 'Coming from the Python reference', link: '/guide/from-python' },
      { text: 'Architecture', link: '/architecture' },
      { text: 'Execution model', link: '/execution-model' },
    ],
  },
  {
    text: 'Guides',
    items: [
      { text: 'Building datasets', link: '/guide/datasets' },
      { text: 'Training', link: '/guide/training' },
      { text: 'Architectures: TRM, HRM, a transformer', link: '/guide/architectures' },
      { text: 'Evaluating checkpoints', link: '/guide/evaluation' },
      { text: 'Several GPUs', link: '/guide/multi-device' },
      { text: 'Errors, exit codes and outputs', link: '/guide/errors-and-outputs' },
      { text: '@trm/datasets in your project', link: '/guide/datasets-standalone' },
    ],
  },
  {
    text: 'Reference',
    items: [
      { text: 'CLI', link: '/reference/cli' },
      { text: 'Configuration', link: '/reference/config' },
      { text: 'API', link: '/api/' },
      { text: 'Benchmarks', link: '/benchmarks' },
    ],
  },
];

export default defineConfig({
  title: 'trm',
  description: 'Tiny Recursive Models trained and evaluated on WebGPU from Node.js, in TypeScript.',
  lang: 'en',
  srcDir: 'src',
  // Partials pulled into pages with <!--@include: …-->, not pages of their own.
  srcExclude: ['parts/**'],
  cleanUrls: true,
  lastUpdated: false,
  // Everything is served from this site: no fonts, images or scripts from other hosts.
  head: [['link', { rel: 'icon', type: 'image/svg+xml', href: '/logo.svg' }]],
  sitemap: { hostname: 'https://trm.invalid' },
  vite: {
    // One API page per package; the largest (@trm/tensor) is a single chunk of ~450 kB.
    build: { chunkSizeWarningLimit: 1024 },
  },
  markdown: {
    // TypeDoc's pages contain many headings; a deep outline helps on the API pages.
    headers: { level: [2, 3] },
  },
  themeConfig: {
    logo: '/logo.svg',
    nav: [
      { text: 'Guide', link: '/guide/getting-started', activeMatch: '^/guide/' },
      { text: 'Demo', link: '/demo' },
      { text: 'CLI', link: '/reference/cli' },
      { text: 'Config', link: '/reference/config' },
      { text: 'API', link: '/api/', activeMatch: '^/api/' },
      { text: 'Benchmarks', link: '/benchmarks' },
      { text: 'Architecture', link: '/architecture' },
    ],
    sidebar: {
      '/api/': [
        { text: 'API reference', link: '/api/' },
        { text: 'Packages', items: apiSidebar },
        { text: 'Back to the guide', link: '/guide/getting-started' },
      ],
      '/': guide,
    },
    outline: { level: [2, 3] },
    ...(repositoryUrl ? { socialLinks: [{ icon: 'github', link: repositoryUrl }] } : {}),
    // MiniSearch index built into the site: works offline, no external service.
    search: { provider: 'local', options: { detailedView: true } },
    footer: {
      message: 'MIT licensed. Reproduces arXiv 2510.04871 from a TypeScript/WebGPU stack.',
    },
  },
});
