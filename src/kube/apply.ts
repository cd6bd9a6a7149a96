/**
 * Create-or-replace of whole objects (GET, then POST or PUT with the live resourceVersion), with a
 * created/updated/unchanged result per object. Chosen over server-side apply because kubesmith
 * reports per-object changes like its file diffs, the resourceVersion gives optimistic concurrency,
 * and the semantics are identical on every supported version (see README, "Kubernetes API").
 */
import { ApiError } from '../shared/errors.js';
import type { KubeClient } from './client.js';
import type { KubeObject } from './types.js';

/** REST collection of each kind kubesmith applies ([group/version prefix, plural, namespaced]). */
const RESOURCES: Readonly<Record<string, readonly [string, string, boolean]>> = {
  Namespace: ['/api/v1', 'namespaces', false],
  Secret: ['/api/v1', 'secrets', true],
  ConfigMap: ['/api/v1', 'configmaps', true],
  ServiceAccount: ['/api/v1', 'serviceaccounts', true],
  Service: ['/api/v1', 'services', true],
  ClusterRole: ['/apis/rbac.authorization.k8s.io/v1', 'clusterroles', false],
  ClusterRoleBinding: ['/apis/rbac.authorization.k8s.io/v1', 'clusterrolebindings', false],
  Role: ['/apis/rbac.authorization.k8s.io/v1', 'roles', true],
  RoleBinding: ['/apis/rbac.authorization.k8s.io/v1', 'rolebindings', true],
  Deployment: ['/apis/apps/v1', 'deployments', true],
  DaemonSet: ['/apis/apps/v1', 'daemonsets', true],
};

/** The collection path for a kind (and namespace), e.g. /api/v1/namespaces/kube-system/secrets. */
export function collectionPath(kind: string, namespace?: string): string {
  const r = RESOURCES[kind];
  if (!r) throw new ApiError(`cannot apply kind ${kind}: kubesmith knows ${Object.keys(RESOURCES).join(', ')}`, undefined);
  const [prefix, plural, namespaced] = r;
  if (namespaced && !namespace) throw new ApiError(`${kind} needs metadata.namespace`, undefined);
  return namespaced ? `${prefix}/namespaces/${encodeURIComponent(namespace ?? '')}/${plural}` : `${prefix}/${plural}`;
}

/** The path of one object. */
export function objectPath(obj: Pick<KubeObject, 'kind' | 'metadata'>): string {
  return `${collectionPath(obj.kind, obj.metadata.namespace)}/${encodeURIComponent(obj.metadata.name)}`;
}

/** True when every field set in `want` has the same value in `have` (server-added fields ignored). */
export function containsDesired(have: unknown, want: unknown): boolean {
  if (Array.isArray(want)) {
    return Array.isArray(have) && have.length === want.length && want.every((w, i) => containsDesired(have[i], w));
  }
  if (want === undefined) return true; // not set by us: whatever the server has is fine
  if (want !== null && typeof want === 'object') {
    if (have === null || typeof have !== 'object' || Array.isArray(have)) return false;
    const h = have as Record<string, unknown>;
    return Object.entries(want as Record<string, unknown>).every(([k, v]) => containsDesired(h[k], v));
  }
  return have === want;
}

/** What applyObject did to one object. */
export type ApplyResult = 'created' | 'updated' | 'unchanged';

/**
 * Makes the object exist as described; idempotent. Bindings whose roleRef changed are recreated
 * (roleRef is immutable). `read`: the object as a GET read it a moment ago (null: absent), used
 * instead of the first GET; a write based on it carries its resourceVersion, so a change since
 * makes the write fail with 409 and the object is read again.
 */
export async function applyObject(client: KubeClient, desired: KubeObject, read?: KubeObject | null): Promise<ApplyResult> {
  const path = objectPath(desired);
  let recreated = false;
  for (let round = 0; round < 3; round += 1) {
    const live = round === 0 && read !== undefined ? (read ?? undefined) : await client.get<KubeObject>(path);
    if (!live) {
      const res = await client.attempt('POST', collectionPath(desired.kind, desired.metadata.namespace), desired, [409]);
      if (res.status === 409) continue; // created meanwhile: compare again
      return recreated ? 'updated' : 'created';
    }
    const { metadata: wantMeta, ...wantRest } = desired;
    const metaMatches = containsDesired(live.metadata, { labels: wantMeta.labels, annotations: wantMeta.annotations });
    if (metaMatches && containsDesired(live, wantRest)) return 'unchanged';
    if ('roleRef' in desired && !containsDesired(live['roleRef'], desired['roleRef'])) {
      await client.remove(path);
      recreated = true;
      continue; // next round creates it with the new roleRef
    }
    const body = {
      ...desired,
      metadata: {
        ...wantMeta,
        ...(live.metadata.labels || wantMeta.labels ? { labels: { ...live.metadata.labels, ...wantMeta.labels } } : {}),
        ...(live.metadata.annotations || wantMeta.annotations ? { annotations: { ...live.metadata.annotations, ...wantMeta.annotations } } : {}),
        ...(live.metadata.resourceVersion ? { resourceVersion: live.metadata.resourceVersion } : {}),
      },
    };
    const res = await client.attempt('PUT', path, body, [409]);
    if (res.status === 409) continue; // changed under us: re-read and retry
    return 'updated';
  }
  throw new ApiError(`${client.endpoint}: ${desired.kind} ${desired.metadata.name} kept changing while being applied`, 409, {
    hint: 'another client is writing the same object; run the command again',
  });
}
