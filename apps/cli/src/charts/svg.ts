/**
 * A small self-contained SVG line chart: axes with ticks, a legend, optional markers (for
 * sparse series such as evaluations), no fonts or scripts from outside. Long series are
 * thinned to what 640 pixels can show, and points without a finite value break the line
 * instead of dropping it to zero.
 */

/** One curve. */
export interface Series {
  key: string;
  points: readonly (readonly [number, number])[];
  /** Draw a dot at every point (evaluations); default: when the series is sparse. */
  markers?: boolean;
}

/** More points than a 640-pixel chart can show only make the file large. */
export const MAX_POINTS = 1200;

const COLOURS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2'];

/** At most `max` points: consecutive points averaged in equal buckets (the curve's shape stays). */
export function thin(
  points: readonly (readonly [number, number])[],
  max: number,
): (readonly [number, number])[] {
  if (points.length <= max) return [...points];
  const out: [number, number][] = [];
  const per = points.length / max;
  for (let b = 0; b < max; b++) {
    const from = Math.floor(b * per);
    const to = Math.max(from + 1, Math.floor((b + 1) * per));
    let sx = 0;
    let sy = 0;
    for (let i = from; i < to; i++) {
      sx += points[i]![0];
      sy += points[i]![1];
    }
    out.push([sx / (to - from), sy / (to - from)]);
  }
  return out;
}

/** About `count` round tick values covering [lo, hi] (1, 2 or 5 times a power of ten apart). */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step)
    ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

function fmt(v: number): string {
  const a = Math.abs(v);
  if (v === 0) return '0';
  if (a >= 10_000) return `${(v / 1000).toFixed(a >= 100_000 ? 0 : 1)}k`;
  if (a >= 100) return v.toFixed(0);
  if (a < 0.01) return v.toExponential(0);
  return Number(v.toPrecision(3)).toString();
}

const esc = (s: string) => s.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** The chart as an SVG document. */
export function lineChartSvg(
  title: string,
  series: readonly Series[],
  options: {
    xLabel?: string;
    yLabel?: string;
    yRange?: [number, number];
    /** Ticks on whole numbers only (x is a count, such as supervision steps). */
    integerX?: boolean;
  } = {},
): string {
  const W = 640;
  const H = 360;
  const m = { l: 64, r: 20, t: 36, b: 48 };
  // Loops, not Math.min(...xs): a spread of a long run's points overflows the call stack.
  let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
  for (const s of series) {
    for (const [x, y] of s.points) {
      if (!Number.isFinite(y)) continue;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
  }
  if (!Number.isFinite(x0)) [x0, x1] = [0, 1];
  if (!Number.isFinite(y0)) [y0, y1] = [0, 1];
  if (options.yRange) [y0, y1] = [Math.min(y0, options.yRange[0]), Math.max(y1, options.yRange[1])];
  if (x0 === x1) [x0, x1] = [x0 - 1, x1 + 1];
  if (y0 === y1) [y0, y1] = [y0 - 1, y1 + 1];
  // A little room above and below the data.
  const pad = (y1 - y0) * 0.05;
  [y0, y1] = [y0 - pad, y1 + pad];
  const px = (x: number) => m.l + ((x - x0) / (x1 - x0)) * (W - m.l - m.r);
  const py = (y: number) => H - m.b - ((y - y0) / (y1 - y0)) * (H - m.t - m.b);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="20" text-anchor="middle" font-size="14">${esc(title)}</text>`,
  ];
  for (const t of niceTicks(y0, y1)) {
    const y = py(t).toFixed(1);
    parts.push(
      `<line x1="${m.l}" x2="${W - m.r}" y1="${y}" y2="${y}" stroke="#e5e7eb"/><text x="${m.l - 6}" y="${(py(t) + 4).toFixed(1)}" text-anchor="end">${fmt(t)}</text>`,
    );
  }
  const xTicks = niceTicks(x0, x1, 6);
  for (const t of options.integerX ? xTicks.filter(Number.isInteger) : xTicks) {
    const x = px(t).toFixed(1);
    parts.push(
      `<line x1="${x}" x2="${x}" y1="${H - m.b}" y2="${H - m.b + 4}" stroke="#6b7280"/><text x="${x}" y="${H - m.b + 16}" text-anchor="middle">${fmt(t)}</text>`,
    );
  }
  parts.push(
    `<line x1="${m.l}" x2="${W - m.r}" y1="${H - m.b}" y2="${H - m.b}" stroke="#6b7280"/>`,
    `<text x="${(m.l + W - m.r) / 2}" y="${H - 10}" text-anchor="middle">${esc(options.xLabel ?? 'step')}</text>`,
  );
  if (options.yLabel)
    parts.push(
      `<text transform="translate(14 ${(m.t + H - m.b) / 2}) rotate(-90)" text-anchor="middle">${esc(options.yLabel)}</text>`,
    );
  const legend: string[] = [];
  series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length]!;
    // A missing value ends one stretch of line; the next finite point starts another.
    let d = '';
    let pen = 'M';
    for (const [x, y] of thin(s.points, MAX_POINTS)) {
      if (!Number.isFinite(y)) {
        pen = 'M';
        continue;
      }
      d += `${pen}${px(x).toFixed(1)},${py(y).toFixed(1)}`;
      pen = 'L';
    }
    if (d) parts.push(`<path d="${d}" fill="none" stroke="${colour}" stroke-width="1.5"/>`);
    const finite = s.points.filter((p) => Number.isFinite(p[1]));
    if (s.markers ?? finite.length <= 60) {
      for (const [x, y] of finite)
        parts.push(
          `<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="3" fill="${colour}"><title>${esc(s.key)} ${fmt(y)} at ${fmt(x)}</title></circle>`,
        );
    }
    legend.push(
      `<text x="${W - m.r - 8}" y="${m.t + 14 + i * 16}" text-anchor="end" fill="${colour}" stroke="white" stroke-width="3" paint-order="stroke">${esc(s.key)}</text>`,
    );
  });
  parts.push(...legend);
  parts.push('</svg>\n');
  return parts.join('\n');
}
