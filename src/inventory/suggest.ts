/**
 * "Did you mean ...?" for unknown keys and enum values: a case-insensitive match first, then the
 * closest candidate by Levenshtein distance, when it is close enough to be a typo.
 */

/** Edit distance (insert, delete, substitute; each costs 1). */
export function levenshtein(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const cur = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur.push(Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost));
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}

/**
 * The candidate the user most likely meant, or undefined. `aliases` maps well-known other names
 * (e.g. "master" -> "control-plane") that no edit distance would find.
 */
export function didYouMean(
  input: string,
  candidates: readonly string[],
  aliases: Readonly<Record<string, string>> = {},
): string | undefined {
  const lower = input.toLowerCase();
  const exact = candidates.find((c) => c.toLowerCase() === lower);
  if (exact !== undefined) return exact;
  const alias = Object.entries(aliases).find(([k]) => k.toLowerCase() === lower);
  if (alias) return alias[1];
  // Allow roughly one typo per three characters, at least one, at most three.
  const limit = Math.min(3, Math.max(1, Math.floor(input.length / 3)));
  let best: { name: string; distance: number } | undefined;
  for (const c of candidates) {
    const d = levenshtein(lower, c.toLowerCase());
    if (d <= limit && (best === undefined || d < best.distance)) best = { name: c, distance: d };
  }
  return best?.name;
}
