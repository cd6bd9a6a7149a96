/**
 * PKI lifetimes that cannot work, rejected before anything is issued (#13 item 4). The shape check
 * already makes each a positive whole number; these are the rules between them and against the
 * fixed margins the CA and the token code use.
 */
import { TOKEN_MIN_REMAINING_MS } from '../pki/bootstrap-token.js';
import { MAX_RENEW_WINDOW_DAYS } from '../pki/renewal.js';
import type { IssueSink } from './validate-context.js';
import type { RawInventory } from './validate-shape.js';

/**
 * The shortest CA lifetime accepted. A CA is never renewed (rotating one means re-issuing every
 * certificate under it and restarting every component, by hand), and `pki generate` warns once a CA
 * is inside the 30-day window; a CA shorter than that would be expiring from the day it is made.
 */
export const MIN_CA_VALIDITY_DAYS = MAX_RENEW_WINDOW_DAYS;

/** leaf <= CA, CA long enough to be operated, bootstrap token long enough to survive one run. */
export function validatePkiLifetimes(raw: RawInventory, sink: IssueSink): void {
  const pki = raw.pki ?? {};
  const ca = pki.caValidityDays ?? 3650;
  const leaf = pki.leafValidityDays ?? 365;
  if (pki.caValidityDays !== undefined && ca < MIN_CA_VALIDITY_DAYS) {
    sink.error(
      'pki.caValidityDays',
      `caValidityDays ${ca} is too short: a CA is never renewed (rotating it is a manual re-issue of everything under it) and is warned about 30 days before it expires; use at least ${MIN_CA_VALIDITY_DAYS} (default 3650)`,
    );
  } else if (leaf > ca) {
    const path = pki.leafValidityDays !== undefined ? 'pki.leafValidityDays' : 'pki.caValidityDays';
    sink.error(path, `leafValidityDays ${leaf} is longer than caValidityDays ${ca}; a certificate cannot outlive its CA (lower leafValidityDays or raise caValidityDays)`);
  }
  const ttl = pki.bootstrapTokenTTLHours;
  const minTtlHours = TOKEN_MIN_REMAINING_MS / 3_600_000 + 1;
  if (ttl !== undefined && ttl < minTtlHours) {
    sink.error(
      'pki.bootstrapTokenTTLHours',
      `bootstrapTokenTTLHours ${ttl} is too short: kubesmith replaces a token with less than 1 hour left, so every run would make a new one; use at least ${minTtlHours} (default 24)`,
    );
  }
}
