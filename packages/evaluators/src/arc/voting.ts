/** One vote: the hash of a predicted grid and the row's `sigmoid(q_halt)`. */
export interface Vote {
  /** Hash of the de-augmented predicted grid. */
  hash: string;
  /** `sigmoid(q_halt)` of the row that produced it. */
  q: number;
}

/** A distinct predicted grid with its vote statistics. */
export interface RankedCandidate {
  /** Hash of the predicted grid. */
  hash: string;
  /** Number of votes. */
  votes: number;
  /** Mean `sigmoid(q_halt)` over its votes. */
  meanQ: number;
}

/** The `k` values the reference reports pass@k for. */
export const DEFAULT_PASS_KS: readonly number[] = [1, 2, 5, 10, 100, 1000];

/**
 * Ranks the distinct predictions of one test input (§12): count votes per hash and average
 * `q` over each hash's votes, then sort by (votes, mean q) descending. Full ties keep the
 * order in which the hashes were first seen (the reference's stable sort).
 */
export function rankVotes(votes: Iterable<Vote>): RankedCandidate[] {
  const table = new Map<string, { votes: number; qSum: number }>();
  for (const { hash, q } of votes) {
    const entry = table.get(hash);
    if (entry) {
      entry.votes++;
      entry.qSum += q;
    } else {
      table.set(hash, { votes: 1, qSum: q });
    }
  }
  const ranked: RankedCandidate[] = [];
  for (const [hash, { votes: n, qSum }] of table) ranked.push({ hash, votes: n, meanQ: qSum / n });
  // Array.prototype.sort is stable (ES2019), like Python's sorted().
  ranked.sort((a, b) => b.votes - a.votes || b.meanQ - a.meanQ);
  return ranked;
}

/** Whether `target` is among the first `k` ranked candidates. */
export function passAtK(ranked: readonly RankedCandidate[], target: string, k: number): boolean {
  const n = Math.min(k, ranked.length);
  for (let i = 0; i < n; i++) if (ranked[i]!.hash === target) return true;
  return false;
}

/** The logistic sigmoid in f64, `1 / (1 + e^-x)`. */
export function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}
