import { appendFileSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { drawRunCharts, type MetricRecord } from '../charts/run-charts.js';

export type { MetricRecord } from '../charts/run-charts.js';

/** Reads a `metrics.jsonl` (a torn last line, from a killed run, is skipped). */
export function readMetricRecords(path: string): MetricRecord[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
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

/** Whether a record is an evaluation's: it has a `<set>/<metric>` key outside `train/`. */
function isEvaluation(record: MetricRecord): boolean {
  return Object.keys(record).some((k) => /^(?!train\/)[^/]+\/.+/.test(k));
}

/** The evaluation records of a log, oldest first. */
export function evaluationRecords(records: readonly MetricRecord[]): MetricRecord[] {
  return records.filter(isEvaluation);
}

/** The last evaluation of a log (its step and metrics), or null when the run has none yet. */
export function lastEvaluation(
  records: readonly MetricRecord[],
): { step: number; metrics: Record<string, number> } | null {
  const last = evaluationRecords(records).at(-1);
  if (!last) return null;
  const metrics: Record<string, number> = {};
  for (const [k, v] of Object.entries(last))
    if (k !== 'step' && k !== 'time' && typeof v === 'number') metrics[k] = v;
  return { step: last.step, metrics };
}

/**
 * The run's metric log: every record appended to `metrics.jsonl` (one JSON object a line, so
 * a crash loses at most the line being written) and kept in memory for the charts.
 */
export class RunLog {
  readonly path: string;
  private readonly records: MetricRecord[];

  constructor(readonly dir: string) {
    this.path = join(dir, 'metrics.jsonl');
    this.records = existsSync(this.path) ? readMetricRecords(this.path) : [];
  }

  append(step: number, metrics: Record<string, number>): void {
    const record: MetricRecord = { step, time: new Date().toISOString(), ...metrics };
    appendFileSync(this.path, `${JSON.stringify(record)}\n`);
    this.records.push(record);
  }

  /** All records so far. */
  read(): readonly MetricRecord[] {
    return this.records;
  }

  /** Drops records after `step` (a resumed run rewinds to its checkpoint). */
  truncateAfter(step: number): void {
    const kept = this.records.filter((r) => r.step <= step);
    const tmp = `${this.path}.tmp`;
    writeFileSync(tmp, kept.map((r) => `${JSON.stringify(r)}\n`).join(''));
    renameSync(tmp, this.path);
    // Not splice(…, ...kept): a spread of a long run's records overflows the call stack.
    this.records.length = 0;
    for (const r of kept) this.records.push(r);
  }

  /** Redraws `charts/*.svg`; returns the files written. */
  writeCharts(): string[] {
    return drawRunCharts(this.records, join(this.dir, 'charts'));
  }
}
