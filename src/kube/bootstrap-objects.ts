/**
 * The objects TLS bootstrapping needs (pki-spec.md §2.1, §2.3): the bootstrap-token Secret and the
 * RBAC that lets bootstrappers create CSRs, auto-approves their client CSRs (nodeclient), auto-
 * approves renewals (selfnodeclient) and lets kube-apiserver call kubelets. Built from the plan's
 * token by pure functions; applied idempotently; expired kubesmith tokens are deleted.
 */
import type { Inventory } from '../inventory/types.js';
import { BOOTSTRAP_GROUP, rfc3339 } from '../pki/bootstrap-token.js';
import type { BootstrapToken } from '../pki/types.js';
import { PkiError } from '../shared/errors.js';
import { applyObject, collectionPath, type ApplyResult } from './apply.js';
import type { KubeClient } from './client.js';
import type { KubeObject } from './types.js';

export const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'kubesmith' } as const;
const TOKEN_LABEL = 'kubesmith.io/bootstrap-token';
/** Extra group the token authenticates as (the same one pki/bootstrap-token.ts renders). */
export const BOOTSTRAP_EXTRA_GROUP = BOOTSTRAP_GROUP;
/** The apiserver's kubelet client certificate CN (pki/profiles.yaml, apiserver-kubelet-client). */
const APISERVER_KUBELET_CLIENT = 'kube-apiserver-kubelet-client';
const RBAC = 'rbac.authorization.k8s.io';

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

/** kube-system/bootstrap-token-<id>, with data (not stringData) so live and desired compare equal. */
export function bootstrapTokenSecret(token: BootstrapToken): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: `bootstrap-token-${token.id}`, namespace: 'kube-system', labels: { ...MANAGED_BY, [TOKEN_LABEL]: 'true' } },
    type: 'bootstrap.kubernetes.io/token',
    data: {
      description: b64('kubelet TLS bootstrap token created by kubesmith'),
      'token-id': b64(token.id),
      'token-secret': b64(token.secret),
      expiration: b64(rfc3339(token.expires)),
      'usage-bootstrap-authentication': b64('true'),
      'usage-bootstrap-signing': b64('true'),
      'auth-extra-groups': b64(BOOTSTRAP_EXTRA_GROUP),
    },
  };
}

function binding(name: string, role: string, subject: { kind: 'Group' | 'User'; name: string }): KubeObject {
  return {
    apiVersion: `${RBAC}/v1`,
    kind: 'ClusterRoleBinding',
    metadata: { name, labels: { ...MANAGED_BY } },
    roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: role },
    subjects: [{ apiGroup: RBAC, ...subject }],
  };
}

/** The RBAC for bootstrapping and for apiserver-to-kubelet calls (the generic equivalents of kubeadm's bindings). */
export function bootstrapRbac(inventory: Inventory): readonly KubeObject[] {
  const csrRole = 'system:certificates.k8s.io:certificatesigningrequests';
  return [
    // kubeadm:cluster-admins -> cluster-admin is what the admin kubeconfig relies on; it has to be
    // created with the break-glass super-admin identity (system:masters), as kubeadm does.
    ...(inventory.pki.adminIdentity === 'cluster-admins'
      ? [binding('kubeadm:cluster-admins', 'cluster-admin', { kind: 'Group', name: 'kubeadm:cluster-admins' })]
      : []),
    binding('kubesmith:kubelet-bootstrap', 'system:node-bootstrapper', { kind: 'Group', name: 'system:bootstrappers' }),
    binding('kubesmith:node-autoapprove-bootstrap', `${csrRole}:nodeclient`, { kind: 'Group', name: 'system:bootstrappers' }),
    binding('kubesmith:node-autoapprove-certificate-rotation', `${csrRole}:selfnodeclient`, { kind: 'Group', name: 'system:nodes' }),
    {
      apiVersion: `${RBAC}/v1`,
      kind: 'ClusterRole',
      metadata: { name: 'kubesmith:kube-apiserver-to-kubelet', labels: { ...MANAGED_BY } },
      rules: [{ apiGroups: [''], resources: ['nodes/proxy', 'nodes/stats', 'nodes/log', 'nodes/spec', 'nodes/metrics'], verbs: ['*'] }],
    },
    binding('kubesmith:kube-apiserver-to-kubelet', 'kubesmith:kube-apiserver-to-kubelet', { kind: 'User', name: APISERVER_KUBELET_CLIENT }),
  ];
}

/** One applied object and what happened to it. */
export interface AppliedObject {
  readonly id: string; // "ClusterRoleBinding/kubesmith:kubelet-bootstrap"
  readonly result: ApplyResult | 'deleted';
}

/**
 * Applies the token Secret and the RBAC, then deletes kubesmith's other bootstrap tokens that have
 * expired (the token cleaner would, but only when kube-controller-manager runs it).
 */
export async function applyBootstrapObjects(
  client: KubeClient,
  inventory: Inventory,
  token: BootstrapToken,
  now: Date,
): Promise<readonly AppliedObject[]> {
  if (token.expires.getTime() <= now.getTime()) {
    throw new PkiError(`bootstrap token ${token.id} expired at ${rfc3339(token.expires)}`, {
      hint: 'run `kubesmith apply` again: the plan issues a fresh token when the stored one has expired',
    });
  }
  const out: AppliedObject[] = [];
  for (const obj of [bootstrapTokenSecret(token), ...bootstrapRbac(inventory)]) {
    out.push({ id: `${obj.kind}/${obj.metadata.name}`, result: await applyObject(client, obj) });
  }
  const path = collectionPath('Secret', 'kube-system');
  const ours = await client.list<KubeObject>(path, `${TOKEN_LABEL}=true`);
  for (const secret of ours) {
    if (secret.metadata.name === `bootstrap-token-${token.id}` || !isExpired(secret, now)) continue;
    if (await client.remove(`${path}/${encodeURIComponent(secret.metadata.name)}`)) {
      out.push({ id: `Secret/${secret.metadata.name}`, result: 'deleted' });
    }
  }
  return out;
}

function isExpired(secret: KubeObject, now: Date): boolean {
  const data = secret['data'] as Record<string, string> | undefined;
  const raw = data?.['expiration'];
  if (raw === undefined) return false; // no expiry: not ours to judge
  const at = Date.parse(Buffer.from(raw, 'base64').toString('utf8'));
  return Number.isNaN(at) || at <= now.getTime(); // an unparsable expiration makes the token invalid anyway
}
