/**
 * The generated references are complete and faithful to their sources: every command, flag and
 * config key of @trm/cli appears with its default, and the Markdown helpers escape what Vue's
 * template compiler would otherwise choke on.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CONFIG_SCHEMA,
  commandGroups,
  commands,
  configSearchPath,
  globalFlags,
  listPresets,
} from '@trm/cli';
import { describe, expect, it } from 'vitest';
import {
  anchorOf,
  cell,
  embedReadme,
  flow,
  pageAnchors,
  readmeSection,
  renderBenchHarness,
  renderCliReference,
  renderConfigReference,
  renderReadmeCommands,
} from '../scripts/generate.mjs';

const cli = { commands, commandGroups, globalFlags, CONFIG_SCHEMA, cliVersion: () => '0.0.0' };

describe('CLI reference', () => {
  const md = renderCliReference(cli);
  it('documents every command with its usage, flags and defaults', () => {
    for (const c of commands) {
      expect(md).toContain(`trm ${c.name} {#${anchorOf(c.name)}}`);
      expect(md).toContain(`trm ${c.usage}`);
      for (const f of c.flags) {
        expect(md, `${c.name} --${f.name}`).toContain(`--${f.name}`);
        if (f.default !== undefined) expect(md).toContain(flow(f.default));
      }
      for (const e of c.examples) expect(md).toContain(e.command);
    }
    for (const g of commandGroups) expect(md).toContain(`## trm ${g.name} {#${g.name}}`);
  });
  it('marks the commands that are not wired yet', () => {
    const stubs = commands.filter((c) => c.stub).length;
    expect(md.split('::: warning Planned').length - 1).toBe(stubs);
  });
});

describe('configuration reference', () => {
  const presets = listPresets(configSearchPath(undefined));
  const md = renderConfigReference(cli, presets);
  it('lists every key with its default, and every preset', () => {
    for (const s of CONFIG_SCHEMA) {
      const row = md.split('\n').find((l) => l.startsWith(`| \`${s.key}\``));
      expect(row, s.key).toBeDefined();
      if (s.type !== 'mapping') expect(row).toContain(flow(s.default));
    }
    expect(md).toContain('| `arch.halt_max_steps` | `int`');
    for (const p of presets) expect(md).toContain(`| \`${p.name}\` |`);
  });
});

describe('Markdown helpers', () => {
  it('escapes table cells outside code spans only', () => {
    expect(cell('a <b> | {{ c }} `x|<y>`')).toBe('a &lt;b&gt; \\| &#123;&#123; c }} `x\\|<y>`');
  });
  it('writes values in YAML flow style', () => {
    expect(flow([{ name: 'arc@ARC' }])).toBe('`[{name: arc@ARC}]`');
    expect(flow(1e-5)).toBe('`1e-5`');
    expect(flow(null)).toBe('`null`');
    expect(flow(undefined)).toBe('—');
  });
  it('extracts README sections and unlinks relative links', () => {
    const readme =
      '# x\n\n## Benchmark\n\nSee [run](bench/run.mjs) and [site](https://a.b).\n\n## Next\n';
    const section = readmeSection(readme);
    expect(section).toBe('See [run](bench/run.mjs) and [site](https://a.b).');
    expect(embedReadme(section!)).toBe('See run and [site](https://a.b).');
    expect(embedReadme('### Deep\n\n```\n<tag>\n```')).toBe('#### Deep\n\n```\n<tag>\n```');
  });
  it('takes the set-up and test commands from the README', () => {
    const md = renderReadmeCommands(
      '## Set up and run\n\n```bash\nbash a.sh && pnpm install\n```\n\n## Test\n\n```bash\npnpm test\n```\n',
    );
    expect(md).toContain('```bash\nbash a.sh && pnpm install\n```');
    expect(md).toContain('```bash\npnpm test\n```');
    expect(() => renderReadmeCommands('# nothing')).toThrow(/Set up/);
  });
  it('predicts VitePress heading anchors', () => {
    const anchors = pageAnchors(
      '## Foo Bar\n## Foo Bar\n### `load()`\n## Custom {#mine}\n<a id="x"></a>',
    );
    expect([...anchors]).toEqual(['foo-bar', 'foo-bar-1', 'load', 'mine', 'x']);
  });
});

describe('benchmark harness results', () => {
  it('embeds every result set, GPU adapters first, with its chart copied to public/', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trm-docs-bench-'));
    try {
      const results = join(dir, 'results');
      mkdirSync(results);
      const put = (name: string, description: string) => {
        writeFileSync(join(results, `${name}.json`), JSON.stringify({ adapter: { description } }));
        writeFileSync(join(results, `${name}.md`), `Table of ${name}.\n`);
        writeFileSync(join(results, `${name}.svg`), '<svg/>');
      };
      put('lavapipe', 'llvmpipe: Mesa');
      put('h200', 'NVIDIA H200');
      const md = renderBenchHarness(results, join(dir, 'public'));
      expect(md.indexOf('### NVIDIA H200 {#bench-h200}')).toBeGreaterThan(0);
      expect(md.indexOf('### NVIDIA H200')).toBeLessThan(md.indexOf('### llvmpipe: Mesa'));
      expect(md).toContain('![Step throughput on NVIDIA H200](/bench/h200.svg)');
      expect(md).toContain('Table of lavapipe.');
      expect(readFileSync(join(dir, 'public', 'h200.svg'), 'utf8')).toBe('<svg/>');
      expect(renderBenchHarness(join(dir, 'none'))).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
