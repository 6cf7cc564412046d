/**
 * The benchmark's outputs from its results: a markdown report (tables the docs page embeds)
 * and an SVG chart of step throughput. Pure functions of the results object.
 */

/** Implementations in the order tables and the chart show them. */
export const IMPLS = [
  { key: 'trm-f32', label: 'trm f32' },
  { key: 'trm-compiled-f32', label: 'trm f32 compiled' },
  { key: 'trm-f16', label: 'trm f16' },
  { key: 'torch-eager-f32', label: 'PyTorch eager f32' },
  { key: 'torch-eager-bf16', label: 'PyTorch eager bf16' },
  { key: 'torch-compiled-bf16', label: 'PyTorch compiled bf16' },
];

const COLOURS = {
  'trm-f32': '#2563eb',
  'trm-compiled-f32': '#1e3a8a',
  'trm-f16': '#60a5fa',
  'torch-eager-f32': '#9ca3af',
  'torch-eager-bf16': '#dc2626',
  'torch-compiled-bf16': '#f59e0b',
};

/** A number for a table: thousands separated, about three significant digits. */
export function num(v, digits) {
  if (v === null || v === undefined || Number.isNaN(v)) return '—';
  if (typeof v !== 'number') return String(v);
  const d = digits ?? (Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2);
  return v.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
}

/** Table text safe for markdown and for the docs site (no pipes, angle brackets or mustaches). */
export function text(s) {
  return String(s)
    .replaceAll('|', '/')
    .replaceAll('<', '(')
    .replaceAll('>', ')')
    .replaceAll('{{', '{ {')
    .replaceAll('\n', ' ');
}

function table(head, rows) {
  return [
    `| ${head.map(text).join(' | ')} |`,
    `| ${head.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.map((c) => text(c)).join(' | ')} |`),
  ].join('\n');
}

/** What a step cell shows: ms per step, or why there is none. */
function stepCell(row) {
  if (!row) return '—';
  if (row.skipped) return row.skipped;
  if (row.error) return row.error === 'out of memory' ? 'out of memory' : 'failed';
  return `${num(row.msPerStep)} ms`;
}

/** The (shape, batch) groups of the step rows, in run order. */
export function stepGroups(steps) {
  const groups = [];
  for (const r of steps) {
    let g = groups.find((x) => x.shape === r.shape && x.batch === r.batch);
    if (!g) {
      g = { shape: r.shape, label: r.label, batch: r.batch, rows: {} };
      groups.push(g);
    }
    g.rows[r.impl] = r;
  }
  return groups;
}

/** The markdown report. */
export function renderMarkdown(results) {
  const a = results.adapter;
  const out = [
    `Measured ${results.date} with \`${results.command}\` (${results.mode} mode) on ${text(a.description || a.device || a.vendor)}; ${text(results.machine)}.`,
    '',
  ];
  out.push(
    table(
      ['adapter', 'value'],
      [
        ['vendor / architecture', `${a.vendor || '—'} / ${a.architecture || '—'}`],
        ['description', a.description || a.device || '—'],
        ['features', (a.features ?? []).join(', ') || '—'],
        ['subgroup sizes', a.subgroupMinSize ? `${a.subgroupMinSize}–${a.subgroupMaxSize}` : '—'],
        ['maxBufferSize (MiB)', num((a.limits?.maxBufferSize ?? NaN) / 2 ** 20, 0)],
        [
          'maxStorageBufferBindingSize (MiB)',
          num((a.limits?.maxStorageBufferBindingSize ?? NaN) / 2 ** 20, 0),
        ],
        ['PyTorch', results.torch ? torchText(results.torch) : 'not run'],
      ],
    ),
    '',
  );
  if (results.matmulTuning?.length > 0) {
    out.push(
      '**Matmul tiling** tuned for this adapter (ms per matmul; the chosen one in bold):',
      '',
    );
    out.push(
      table(
        ['layout', 'tiling', 'ms'],
        results.matmulTuning.map((r) => [
          r.layout,
          r.chosen ? `**${r.tiling}**` : r.tiling,
          r.ms === null ? `failed: ${r.error ?? 'unknown'}` : num(r.ms, 3),
        ]),
      ),
      '',
    );
  }
  const groups = stepGroups(results.steps);
  const impls = IMPLS.filter((i) => groups.some((g) => g.rows[i.key]));
  if (groups.length > 0) {
    out.push('**One ACT training step** (forward, loss, backward, optimisers; ms per step):', '');
    out.push(
      table(
        ['shape', 'batch', ...impls.map((i) => i.label), 'trm / PyTorch eager bf16 (speed)'],
        groups.map((g) => [
          g.label,
          String(g.batch),
          ...impls.map((i) => stepCell(g.rows[i.key])),
          speedRatio(g),
        ]),
      ),
      '',
    );
  }
  const trmRows = results.steps.filter((r) => r.impl.startsWith('trm') && !r.error && !r.skipped);
  if (trmRows.length > 0) {
    out.push("**Where trm's step goes** (per step):", '');
    out.push(
      table(
        [
          'shape',
          'batch',
          'implementation',
          'wall ms',
          'kernel ms',
          'host ms',
          'dispatches',
          'copies',
          'submits',
          'fused-kernel MiB',
          'GPU peak MiB',
        ],
        trmRows.map((r) => [
          r.shape,
          String(r.batch),
          IMPLS.find((i) => i.key === r.impl)?.label ?? r.impl,
          num(r.msPerStep),
          num(r.kernelMsPerStep),
          num(r.hostMs),
          num(r.dispatches, 0),
          num(r.copies, 0),
          num(r.submits, 0),
          num(r.fusedMiB),
          num(r.peakMiB),
        ]),
      ),
      '',
      'Kernel ms: the summed GPU time of the compute passes (timestamp queries); host ms: the same',
      'step with every dispatch dropped (JavaScript and WebGPU encoding alone). Compiled: the',
      "step's device part, optimiser included, traced once and replayed (`compile()`).",
      'Fused-kernel MiB: what the generated kernels (fused elementwise ops, views and',
      'reductions) read and wrote, each input buffer counted whole.',
      '',
    );
  }
  const before = groups.filter((g) => g.rows['base-f32'] && !g.rows['base-f32'].error);
  if (before.length > 0) {
    const ratio = (a, b) => (a && b ? `${num(a / b)}×` : '—');
    out.push(
      `**Before and after** (\`--base\`: the same f32 step of ${text(results.base ?? 'another checkout')}, run in the same session; speed-up = before ms / the faster after ms; ratios after / before; host ms: the step with every dispatch dropped):`,
      '',
    );
    out.push(
      table(
        [
          'shape',
          'batch',
          'before ms',
          'after ms (eager)',
          'after ms (compiled)',
          'speed-up',
          'dispatches before',
          'dispatches after',
          'ratio',
          'host ms before',
          'host ms after (compiled)',
          'ratio',
        ],
        before.map((g) => {
          const b = g.rows['base-f32'];
          const e = g.rows['trm-f32'];
          const c = g.rows['trm-compiled-f32'];
          const best = Math.min(e?.msPerStep ?? Infinity, c?.msPerStep ?? Infinity);
          return [
            g.shape,
            String(g.batch),
            num(b.msPerStep),
            num(e?.msPerStep),
            num(c?.msPerStep),
            ratio(b.msPerStep, Number.isFinite(best) ? best : null),
            num(b.dispatches, 0),
            num(e?.dispatches, 0),
            ratio(e?.dispatches, b.dispatches),
            num(b.hostMs),
            num(c?.hostMs),
            ratio(c?.hostMs, b.hostMs),
          ];
        }),
      ),
      '',
    );
  }
  if (results.training?.length > 0) {
    out.push(
      `**Training runs** on generated 9x9 Sudoku (${text(results.trainingModel)}), then evaluation of the test split:`,
      '',
    );
    out.push(
      table(
        ['preset', 'implementation', 'batch', 'steps', 'steps/s', 'examples/s', 'eval examples/s'],
        results.training.map((r) => [
          r.preset,
          r.implLabel,
          String(r.batch ?? '—'),
          r.error || r.skipped ? '—' : String(r.steps),
          r.skipped ?? (r.error ? 'failed' : num(r.stepsPerSecond)),
          r.error || r.skipped ? '—' : num(r.stepsPerSecond * r.batch),
          r.error || r.skipped ? '—' : num(r.evalExamplesPerSecond),
        ]),
      ),
      '',
    );
  }
  const failures = [...results.steps, ...(results.training ?? [])].filter(
    (r) => r.error && r.error !== 'out of memory',
  );
  if (failures.length > 0) {
    out.push('Failures:', '');
    for (const f of failures)
      out.push(`- ${text(f.shape ?? f.preset)} ${text(f.implLabel ?? f.impl)}: ${text(f.error)}`);
    out.push('');
  }
  for (const n of results.notes ?? []) out.push(`- ${text(n)}`);
  return `${out.join('\n').trimEnd()}\n`;
}

function torchText(t) {
  const parts = [`torch ${t.version}`, t.device];
  if (t.threads) parts.push(`${t.threads} threads`);
  if (t.sdpa) parts.push(`attention: ${t.sdpa}`);
  if (t.compile) parts.push(`torch.compile: ${t.compile}`);
  return parts.join(', ');
}

/** trm's faster precision against PyTorch eager bf16 (>1: trm is faster). */
function speedRatio(g) {
  const torch = g.rows['torch-eager-bf16'];
  const ours = ['trm-f16', 'trm-f32']
    .map((k) => g.rows[k])
    .filter((r) => r && !r.error && !r.skipped && r.msPerStep > 0);
  if (!torch || torch.error || torch.skipped || !torch.msPerStep || ours.length === 0) return '—';
  const best = Math.min(...ours.map((r) => r.msPerStep));
  return `${num(torch.msPerStep / best)}×`;
}

/**
 * A horizontal grouped bar chart of examples per second (log scale), one group per shape and
 * batch, one bar per implementation. Self-contained SVG: no fonts or scripts from outside.
 */
export function renderChart(results) {
  const groups = stepGroups(results.steps);
  const impls = IMPLS.filter((i) => groups.some((g) => g.rows[i.key]));
  const bar = 12;
  const gap = 14;
  const left = 190;
  const width = 720;
  const plotW = width - left - 70;
  const top = 44;
  const values = results.steps
    .filter((r) => !r.error && !r.skipped && r.examplesPerSecond > 0)
    .map((r) => r.examplesPerSecond);
  const lo = 10 ** Math.floor(Math.log10(Math.min(...values, 1)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...values, 10)));
  const x = (v) =>
    Math.round(10 * (left + (plotW * Math.log10(v / lo)) / Math.log10(hi / lo))) / 10;
  const groupHeight = bar * impls.length + gap;
  const height = top + groups.length * groupHeight + 40;
  const s = [];
  s.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<title>${esc(`trm and PyTorch: one ACT training step, examples per second, on ${results.adapter.description || results.adapter.vendor}`)}</title>`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="10" y="16" font-size="13" font-weight="bold">${esc(`One ACT training step: examples per second (log scale) — ${results.adapter.description || results.adapter.vendor}`)}</text>`,
  );
  impls.forEach((impl, i) => {
    const lx = left + i * 105;
    s.push(
      `<rect x="${lx}" y="24" width="10" height="10" fill="${COLOURS[impl.key]}"/>`,
      `<text x="${lx + 14}" y="33">${esc(impl.label)}</text>`,
    );
  });
  for (let t = lo; t <= hi; t *= 10) {
    s.push(
      `<line x1="${x(t)}" y1="${top - 4}" x2="${x(t)}" y2="${height - 30}" stroke="#e5e7eb"/>`,
      `<text x="${x(t)}" y="${height - 16}" text-anchor="middle">${esc(num(t, 0))}</text>`,
    );
  }
  let y = top;
  for (const g of groups) {
    s.push(
      `<text x="${left - 6}" y="${y + (bar * impls.length) / 2 + 4}" text-anchor="end">${esc(`${g.shape}, batch ${g.batch}`)}</text>`,
    );
    impls.forEach((impl, i) => {
      const r = g.rows[impl.key];
      const by = y + i * bar;
      if (r && !r.error && !r.skipped && r.examplesPerSecond > 0) {
        const w = Math.max(1, x(r.examplesPerSecond) - left);
        s.push(
          `<rect x="${left}" y="${by + 1}" width="${w.toFixed(1)}" height="${bar - 2}" fill="${COLOURS[impl.key]}"/>`,
          `<text x="${(left + w + 4).toFixed(1)}" y="${by + bar - 2}" font-size="9">${esc(num(r.examplesPerSecond))}</text>`,
        );
      } else if (r) {
        s.push(
          `<text x="${left + 4}" y="${by + bar - 2}" font-size="9" fill="#6b7280">${esc(stepCell(r))}</text>`,
        );
      }
    });
    y += groupHeight;
  }
  s.push('</svg>');
  return `${s.join('\n')}\n`;
}

function esc(s) {
  return String(s).replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}
