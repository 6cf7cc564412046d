import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import {
  COMPARISON_CHARTS,
  chartOptions,
  chartSeries,
  drawComparisonCharts,
  drawRunCharts,
  type MetricRecord,
  RUN_CHARTS,
} from '../charts/run-charts.js';
import { lineChartSvg } from '../charts/svg.js';
import type { CommandContext } from '../cli/types.js';
import { InputError } from '../errors.js';
import { evaluationRecords, readMetricRecords } from '../train/run-log.js';
import { checkOutputDir } from '../util/output-dir.js';
import { bool, requireDir, resolvePath, str } from './common.js';

/** `trm plot RUN_DIR... [--html] [--out DIR]`. */
export async function plotCommand(ctx: CommandContext): Promise<number> {
  const { io } = ctx;
  if (ctx.positionals.length > 1) return compareRuns(ctx);
  const arg = ctx.positionals[0]!;
  const runDir = resolvePath(io, arg);
  const records = runRecords(ctx, arg);
  const outFlag = str(ctx, 'out');
  const out = outFlag === undefined ? join(runDir, 'charts') : resolvePath(io, outFlag);
  if (outFlag !== undefined)
    checkOutputDir(out, {
      overwrite: bool(ctx, 'overwrite'),
      label: '--out',
      writes: `${RUN_CHARTS.map((c) => `${c.name}.svg`).join(', ')}, report.html`,
    });
  const files = drawRunCharts(records, out);
  if (bool(ctx, 'html')) {
    const file = join(out, 'report.html');
    writeFileSync(file, htmlReport(runDir, records));
    files.push(file);
  }
  const last = records.at(-1)!;
  io.stdout.write(
    `${records.length.toLocaleString('en-US')} records up to step ${last.step}; wrote ${files.length} file${files.length === 1 ? '' : 's'}:\n${files.map((f) => `  ${f}`).join('\n')}\n`,
  );
  return 0;
}

/** The metric records of the run directory `arg` (exit 2 when it has none). */
function runRecords(ctx: CommandContext, arg: string): MetricRecord[] {
  const runDir = resolvePath(ctx.io, arg);
  requireDir(runDir, 'RUN_DIR');
  const log = join(runDir, 'metrics.jsonl');
  if (!existsSync(log))
    throw new InputError(
      `${arg} has no metrics.jsonl: give the run directory of trm train (its checkpoint_path).`,
      { file: log },
    );
  const records = readMetricRecords(log);
  if (records.length === 0)
    throw new InputError(`${log} holds no metric records yet.`, { file: log });
  return records;
}

/** `trm plot RUN_A RUN_B … --out DIR`: one chart per metric, one line per run. */
function compareRuns(ctx: CommandContext): number {
  const { io } = ctx;
  const outFlag = str(ctx, 'out');
  if (outFlag === undefined)
    throw new InputError(
      `Comparing ${ctx.positionals.length} runs needs --out DIR for the charts (they belong to no single run).`,
    );
  if (bool(ctx, 'html'))
    throw new InputError('--html draws the report of one run; give a single RUN_DIR with it.');
  // Runs are labelled by their directory's name, or as given when two names coincide.
  const names = ctx.positionals.map((arg) => basename(resolvePath(io, arg)));
  const unique = new Set(names).size === names.length;
  const runs = ctx.positionals.map((arg, i) => ({
    label: unique ? names[i]! : arg,
    records: runRecords(ctx, arg),
  }));
  const out = resolvePath(io, outFlag);
  checkOutputDir(out, {
    overwrite: bool(ctx, 'overwrite'),
    label: '--out',
    writes: COMPARISON_CHARTS.map((c) => `${c.name}.svg`).join(', '),
  });
  const files = drawComparisonCharts(runs, out);
  io.stdout.write(
    `${runs.map((r) => `${r.label}: ${r.records.length.toLocaleString('en-US')} records up to step ${r.records.at(-1)!.step}`).join('\n')}\nwrote ${files.length} file${files.length === 1 ? '' : 's'}:\n${files.map((f) => `  ${f}`).join('\n')}\n`,
  );
  return 0;
}

const esc = (s: string) => s.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** One self-contained page: every chart inline, the last evaluation, the config. */
export function htmlReport(runDir: string, records: readonly MetricRecord[]): string {
  const charts = RUN_CHARTS.map((spec) => ({ spec, series: chartSeries(records, spec) }))
    .filter((c) => c.series.length > 0)
    .map((c) => `<figure>${lineChartSvg(c.spec.title, c.series, chartOptions(c.spec))}</figure>`);
  const lastEval = evaluationRecords(records).at(-1);
  const evalRows = lastEval
    ? Object.entries(lastEval)
        .filter(([k]) => k !== 'step' && k !== 'time')
        .map(
          ([k, v]) =>
            `<tr><td>${esc(k)}</td><td>${typeof v === 'number' ? v.toFixed(4) : esc(String(v))}</td></tr>`,
        )
        .join('')
    : '';
  const configFile = join(runDir, 'all_config.yaml');
  const config = existsSync(configFile) ? readFileSync(configFile, 'utf8') : '';
  const last = records.at(-1)!;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>trm run ${esc(basename(runDir))}</title>
<style>body{font-family:sans-serif;max-width:1320px;margin:2em auto;padding:0 1em;color:#111}
figure{display:inline-block;margin:0 12px 12px 0}table{border-collapse:collapse}
td{padding:2px 12px 2px 0;font-family:monospace}pre{background:#f6f8fa;padding:1em;overflow:auto}</style>
</head><body>
<h1>${esc(basename(runDir))}</h1>
<p>${esc(runDir)} — ${records.length.toLocaleString('en-US')} records, last at step ${last.step} (${esc(String(last.time))}).</p>
${lastEval ? `<h2>Last evaluation (step ${lastEval.step})</h2><table>${evalRows}</table>` : '<p>No evaluation yet.</p>'}
<h2>Curves</h2>
${charts.join('\n')}
${config ? `<h2>Config</h2><pre>${esc(config)}</pre>` : ''}
</body></html>
`;
}
