import { appendFileSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** One line of `metrics.jsonl`. */
export interface MetricRecord {
  step: number;
  time: string;
  [metric: string]: number | string;
}

/**
 * The run's metric log: every record appended to `metrics.jsonl` (one JSON object a line, so
 * a crash loses at most the line being written), and SVG charts of the curves.
 */
export class RunLog {
  readonly path: string;

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    this.path = join(dir, 'metrics.jsonl');
  }

  append(step: number, metrics: Record<string, number>): void {
    const record: MetricRecord = { step, time: new Date().toISOString(), ...metrics };
    appendFileSync(this.path, `${JSON.stringify(record)}\n`);
  }

  /** All records so far (a torn last line, from a killed run, is skipped). */
  read(): MetricRecord[] {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch {
      return [];
    }
    const out: MetricRecord[] = [];
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        out.push(JSON.parse(line) as MetricRecord);
      } catch {
        // an incomplete final line
      }
    }
    return out;
  }

  /** Drops records after `step` (a resumed run rewinds to its checkpoint). */
  truncateAfter(step: number): void {
    const kept = this.read().filter((r) => r.step <= step);
    const tmp = `${this.path}.tmp`;
    writeFileSync(tmp, kept.map((r) => `${JSON.stringify(r)}\n`).join(''));
    renameSync(tmp, this.path);
  }

  /** Writes `charts/<name>.svg` for each group of metrics. */
  writeCharts(groups: Record<string, readonly string[]>): string[] {
    const records = this.read();
    const dir = join(this.dir, 'charts');
    mkdirSync(dir, { recursive: true });
    const written: string[] = [];
    for (const [name, keys] of Object.entries(groups)) {
      const series = keys
        .map((key) => ({
          key,
          points: records
            .filter((r) => typeof r[key] === 'number')
            .map((r) => [r.step, r[key] as number] as const),
        }))
        .filter((s) => s.points.length > 0);
      if (series.length === 0) continue;
      const file = join(dir, `${name}.svg`);
      writeFileSync(file, lineChartSvg(name, series));
      written.push(file);
    }
    return written;
  }
}

const COLOURS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2'];

/** A small self-contained SVG line chart (no fonts or scripts from outside). */
export function lineChartSvg(
  title: string,
  series: { key: string; points: readonly (readonly [number, number])[] }[],
): string {
  const W = 640;
  const H = 360;
  const m = { l: 60, r: 20, t: 36, b: 40 };
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => s.points.map((p) => p[1]));
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (y0 === y1) [y0, y1] = [y0 - 1, y1 + 1];
  const px = (x: number) => m.l + ((x - x0) / Math.max(x1 - x0, 1)) * (W - m.l - m.r);
  const py = (y: number) => H - m.b - ((y - y0) / (y1 - y0)) * (H - m.t - m.b);
  const fmt = (v: number) => (Math.abs(v) >= 100 || v === 0 ? v.toFixed(0) : v.toPrecision(3));
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => y0 + f * (y1 - y0));
  const esc = (s: string) => s.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="20" text-anchor="middle" font-size="14">${esc(title)}</text>`,
    ...ticks.map(
      (t) =>
        `<line x1="${m.l}" x2="${W - m.r}" y1="${py(t).toFixed(1)}" y2="${py(t).toFixed(1)}" stroke="#e5e7eb"/><text x="${m.l - 6}" y="${(py(t) + 4).toFixed(1)}" text-anchor="end">${fmt(t)}</text>`,
    ),
    `<text x="${W / 2}" y="${H - 8}" text-anchor="middle">step (${x0}–${x1})</text>`,
  ];
  series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length]!;
    const d = s.points
      .map((p, j) => `${j === 0 ? 'M' : 'L'}${px(p[0]).toFixed(1)},${py(p[1]).toFixed(1)}`)
      .join('');
    parts.push(`<path d="${d}" fill="none" stroke="${colour}" stroke-width="1.5"/>`);
    if (s.points.length === 1)
      parts.push(
        `<circle cx="${px(s.points[0]![0]).toFixed(1)}" cy="${py(s.points[0]![1]).toFixed(1)}" r="3" fill="${colour}"/>`,
      );
    parts.push(
      `<text x="${m.l + 8}" y="${m.t + 14 + i * 16}" fill="${colour}">${esc(s.key)}</text>`,
    );
  });
  parts.push('</svg>\n');
  return parts.join('\n');
}
