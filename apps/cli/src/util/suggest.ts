/** Levenshtein edit distance (insertions, deletions, substitutions all cost 1). */
export function levenshtein(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  let cur = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[b.length]!;
}

/**
 * The candidate closest to `input` (case-insensitive Levenshtein), or undefined when even
 * the best one is too far to be a plausible typo (more than about a third of the length).
 */
export function closest(input: string, candidates: Iterable<string>): string | undefined {
  const list = [...candidates];
  const needle = input.toLowerCase();
  let best: string | undefined;
  let bestDist = Number.POSITIVE_INFINITY;
  for (const c of list) {
    const d = levenshtein(needle, c.toLowerCase());
    if (d < bestDist) {
      best = c;
      bestDist = d;
    }
  }
  if (best === undefined) return undefined;
  const limit = Math.max(2, Math.ceil(Math.max(needle.length, best.length) / 3));
  if (bestDist <= limit) return best;
  // A truncated or extended name (lr_warmup for lr_warmup_steps) is a plausible slip too.
  if (needle.length >= 3) {
    const longer = list.find((c) => c.toLowerCase().startsWith(needle));
    if (longer !== undefined) return longer;
    const shorter = list.find((c) => c.length >= 3 && needle.startsWith(c.toLowerCase()));
    if (shorter !== undefined) return shorter;
  }
  return undefined;
}

/** ` Did you mean 'x'?` or the empty string. */
export function didYouMean(
  input: string,
  candidates: Iterable<string>,
  format = (s: string) => `'${s}'`,
): string {
  const c = closest(input, candidates);
  return c === undefined ? '' : ` Did you mean ${format(c)}?`;
}
