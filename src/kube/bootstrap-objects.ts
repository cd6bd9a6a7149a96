/**
 * TLS bootstrapping objects (pki-spec.md §2.1, §2.3) applied through the API: the plan's
 * bootstrap-token Secret and bootstrap RBAC (rendered by src/render/cluster-manifests.ts), applied
 * idempotently, then kubesmith's expired bootstrap tokens deleted. kube-controller-manager's
 * tokencleaner would delete them too, but only when it runs that controller.
 */
import type { ClusterManifest } from '../plan/types.js';
import { PkiError } from '../shared/errors.js';
import { collectionPath } from './apply.js';
import type { KubeClient } from './client.js';
import { applyManifests, BOOTSTRAP_TOKEN_TYPE, manifestObjects, TOKEN_LABEL, type AppliedObject } from './manifests.js';
import type { KubeObject } from './types.js';

/** The plan's manifests that make TLS bootstrapping work, in apply order. */
export const BOOTSTRAP_MANIFESTS = ['cluster-admins-rbac', 'bootstrap-rbac', 'bootstrap-token-secret'] as const;

const decode = (v: string | undefined): string | undefined => (v === undefined ? undefined : Buffer.from(v, 'base64').toString('utf8'));
const dataOf = (o: KubeObject): Record<string, string> => (o['data'] as Record<string, string> | undefined) ?? {};

/** When a bootstrap token Secret expires (undefined: never; NaN: unparsable, so already invalid). */
export function tokenExpiry(secret: KubeObject): number | undefined {
  const text = decode(dataOf(secret)['expiration']);
  return text === undefined ? undefined : Date.parse(text);
}

/**
 * Applies the bootstrap manifests found in `manifests` (others are ignored), refusing a token that
 * has already expired, then deletes kubesmith-labelled bootstrap tokens that have expired.
 */
export async function applyBootstrapObjects(
  client: KubeClient,
  manifests: readonly ClusterManifest[],
  now: Date,
): Promise<readonly AppliedObject[]> {
  const wanted = BOOTSTRAP_MANIFESTS.flatMap((id) => manifests.filter((m) => m.id === id));
  const tokens = wanted.flatMap(manifestObjects).filter((o) => o.kind === 'Secret' && o['type'] === BOOTSTRAP_TOKEN_TYPE);
  for (const t of tokens) {
    const at = tokenExpiry(t);
    if (at !== undefined && !(at > now.getTime())) {
      throw new PkiError(`bootstrap token ${decode(dataOf(t)['token-id']) ?? t.metadata.name} expired at ${decode(dataOf(t)['expiration'])}`, {
        hint: 'run `kubesmith apply` again: the plan issues a fresh token when the stored one has expired',
      });
    }
  }
  const applied = await applyManifests(client, wanted);
  const deleted = await deleteExpiredTokens(client, now, tokens.map((t) => t.metadata.name));
  return [...applied, ...deleted];
}

/** Deletes kubesmith's bootstrap token Secrets (by label) that expired, except those in `keep`. */
export async function deleteExpiredTokens(client: KubeClient, now: Date, keep: readonly string[]): Promise<readonly AppliedObject[]> {
  const path = collectionPath('Secret', 'kube-system');
  const out: AppliedObject[] = [];
  for (const secret of await client.list<KubeObject>(path, `${TOKEN_LABEL}=true`)) {
    const at = tokenExpiry(secret);
    if (keep.includes(secret.metadata.name) || at === undefined || at > now.getTime()) continue;
    if (await client.remove(`${path}/${encodeURIComponent(secret.metadata.name)}`)) {
      out.push({ manifest: 'bootstrap-token-secret', id: `Secret/kube-system/${secret.metadata.name}`, result: 'deleted' });
    }
  }
  return out;
}
