/**
 * Certificate identity by bytes: two PEM texts hold the same certificate when their base64 bodies
 * match, whatever their line endings or wrapping. Comparing text is enough to tell "in sync" from
 * "differs"; parsing (expiry, signer) happens once per distinct certificate (cert-facts.ts).
 */

/** The base64 body of the first CERTIFICATE block, without armour or whitespace ("" when there is none). */
export function certKey(pem: string): string {
  const m = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/.exec(pem);
  return m?.[1]?.replace(/\s+/g, '') ?? '';
}

/** Every CERTIFICATE block of a PEM text (a CA bundle may hold several), as keys. */
export function certKeys(pem: string): string[] {
  return [...pem.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)].map((m) => (m[1] ?? '').replace(/\s+/g, ''));
}

/** A kubeconfig's *-data value (base64 of a PEM) as PEM text; "" when it is not base64 of a certificate. */
export function pemFromData(data: string): string {
  const text = Buffer.from(data, 'base64').toString('utf8');
  return text.includes('-----BEGIN CERTIFICATE-----') ? text : '';
}

/** True when both lists hold the same certificates in the same order. */
export function sameCerts(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((k, i) => k === b[i]);
}
