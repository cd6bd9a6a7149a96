/**
 * When a certificate is due for renewal: one rule shared by `pki generate`/`plan`/`apply`
 * (reconcile), `pki check` (its default warning window and "renew due" status) and `pki renew --due`.
 *
 * Why not a fixed 30 days: a leaf issued for 30 days or less would be "due" the moment it is issued,
 * so every run would renew every leaf with a new key and restart etcd and the control plane. The
 * window follows the lifetime: at most 30 days, and at most a third of the lifetime (kubelet's own
 * client-certificate rotation starts at 70-90% of the lifetime for the same reason). A fresh
 * certificate therefore always has two thirds of its lifetime before it is due again.
 */

const DAY_MS = 86_400_000;

/** The longest renewal window: leaves with long lifetimes are renewed 30 days before they end. */
export const MAX_RENEW_WINDOW_DAYS = 30;

/** The renewal window, in milliseconds, for a certificate issued for `validityDays` days. */
export function renewalWindowMs(validityDays: number): number {
  return Math.min(MAX_RENEW_WINDOW_DAYS * DAY_MS, (validityDays * DAY_MS) / 3);
}

/** "30 days", "10 days", "8h": the window for messages. */
export function describeWindow(ms: number): string {
  if (ms >= DAY_MS && ms % DAY_MS === 0) return `${ms / DAY_MS} day${ms === DAY_MS ? '' : 's'}`;
  const hours = Math.floor(ms / 3_600_000);
  return hours >= 48 ? `${Math.floor(hours / 24)} days` : `${hours}h`;
}

/** True when a certificate with `residualMs` left, issued for `validityDays`, is due for renewal. */
export function renewalDue(residualMs: number, validityDays: number): boolean {
  return residualMs < renewalWindowMs(validityDays);
}
