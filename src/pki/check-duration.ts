/** Durations for `pki check`: kubeadm's short residual time, and the `--warn-within` argument. Pure. */

/** kubeadm's short duration ("364d", "9y", "23h"); "expired" when past. */
export function shortDuration(ms: number): string {
  if (ms <= 0) return 'expired';
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  const h = Math.floor(s / 3600);
  if (h < 48) return `${h}h`;
  if (h < 24 * 365 * 2) return `${Math.floor(h / 24)}d`;
  return `${Math.floor(h / (24 * 365))}y`;
}

/** Parses "30d", "12h", "90m", "45s" (or a sum like "1d12h") into milliseconds; undefined when invalid. */
export function parseDuration(text: string): number | undefined {
  const unit: Readonly<Record<string, number>> = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 };
  if (!/^(\d+[dhms])+$/.test(text)) return undefined;
  let ms = 0;
  for (const m of text.matchAll(/(\d+)([dhms])/g)) ms += Number(m[1]) * (unit[m[2] as string] ?? 0);
  return ms;
}
