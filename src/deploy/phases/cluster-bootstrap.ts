/**
 * cluster-bootstrap: once the apiservers are ready, the cluster objects kubelets and pods need,
 * through the API of the first control-plane host of the run: the kubeadm:cluster-admins ->
 * cluster-admin binding (as the super-admin: the admin has no rights before it), then as the admin
 * the TLS-bootstrap token Secret and RBAC (expired kubesmith tokens deleted) and the add-ons
 * (flannel, CoreDNS). Every apply is create-or-replace, so a second run reports "unchanged".
 * Dry-run lists the objects from the plan and calls nothing; with stub binaries (the apiserver
 * was not started) the phase says so and skips.
 */
import type { KubeClient } from '../../kube/client.js';
import { ADDON_MANIFESTS, applyAddons } from '../../kube/addons.js';
import { applyBootstrapObjects, BOOTSTRAP_MANIFESTS } from '../../kube/bootstrap-objects.js';
import { applyManifests, manifestObjects, objectId, type AppliedObject } from '../../kube/manifests.js';
import { abortableSleep } from '../../kube/client.js';
import type { ClusterPlan } from '../../plan/types.js';
import { ApiError } from '../../shared/errors.js';
import type { Phase, PhaseContext, PhaseInput, Step } from '../phase.js';
import { apiHost, gatherRunnable, notRunnableReason, unitBinary, withApi, type ApiAccess, type ApiIdentity } from './_api-access.js';

/** The manifest only the super-admin can apply (pki-spec: admin.conf has no rights before it). */
export const SUPER_ADMIN_MANIFEST = 'cluster-admins-rbac';
const APISERVER = 'kube-apiserver.service';

/** The manifests this phase applies, in order, with the identity that applies each. */
export function bootstrapManifests(plan: Pick<ClusterPlan, 'manifests'>): readonly { readonly id: string; readonly as: ApiIdentity }[] {
  const ids: readonly string[] = [...BOOTSTRAP_MANIFESTS, ...ADDON_MANIFESTS];
  return ids.flatMap((id) => (plan.manifests.some((m) => m.id === id) ? [{ id, as: id === SUPER_ADMIN_MANIFEST ? 'super-admin' : 'admin' } as const] : []));
}

/** Dry-run and progress listing: one note per object, never the Secret's content. */
function planNotes(input: PhaseInput): readonly Step[] {
  if (apiHost(input.plan, input.activeHosts) !== input.host.host.name) return [];
  const skip = notRunnableReason(input.host, input.facts, 'control-plane', APISERVER);
  if (skip) return [{ kind: 'note', message: `cluster objects not applied: ${skip}` }];
  return bootstrapManifests(input.plan).flatMap(({ id, as }) => {
    const m = input.plan.manifests.find((x) => x.id === id);
    return m ? manifestObjects(m).map((o): Step => ({ kind: 'note', message: `API: apply ${objectId(o)} (${id}, as ${as})` })) : [];
  });
}

/** Waits until RBAC grants the admin identity access (the binding reaches the authorizer's cache). */
async function waitForAdminRights(client: KubeClient, ctx: PhaseContext): Promise<void> {
  for (;;) {
    const res = await client.attempt('GET', '/api/v1/namespaces/kube-system', undefined, [403, 404]);
    if (res.status !== 403) return;
    if (ctx.clock.now().getTime() > ctx.deadline) {
      throw new ApiError(`${client.endpoint}: ${client.identity} is still forbidden after the kubeadm:cluster-admins binding was applied`, 403, {
        hint: 'check `kubectl get clusterrolebinding kubeadm:cluster-admins` with the super-admin kubeconfig, then run `kubesmith apply` again',
      });
    }
    await abortableSleep(500, ctx.signal);
  }
}

/** Applies everything through `host`; returns what happened to each object. */
export async function bootstrapCluster(access: ApiAccess, plan: ClusterPlan, host: string, ctx: PhaseContext): Promise<readonly AppliedObject[]> {
  const out: AppliedObject[] = [];
  const superAdmin = plan.manifests.filter((m) => m.id === SUPER_ADMIN_MANIFEST);
  if (superAdmin.length > 0) out.push(...(await withApi(access, plan, host, 'super-admin', ctx, (c) => applyManifests(c, superAdmin))));
  await withApi(access, plan, host, 'admin', ctx, async (c) => {
    if (superAdmin.length > 0) await waitForAdminRights(c, ctx);
    out.push(...(await applyBootstrapObjects(c, plan.manifests.filter((m) => m.id !== SUPER_ADMIN_MANIFEST), ctx.clock.now())));
    out.push(...(await applyAddons(c, plan)));
  });
  return out;
}

/** "3 created, 1 updated, 9 unchanged". */
export function summarizeApplied(objects: readonly AppliedObject[]): string {
  const counts = new Map<string, number>();
  for (const o of objects) counts.set(o.result, (counts.get(o.result) ?? 0) + 1);
  return ['created', 'updated', 'deleted', 'unchanged'].flatMap((r) => (counts.get(r) ? [`${counts.get(r)} ${r}`] : [])).join(', ') || 'nothing to apply';
}

/** The phase, talking to the API through `access`. */
export function clusterBootstrapPhase(access: ApiAccess): Phase {
  return {
    id: 'cluster-bootstrap',
    title: 'Bootstrap cluster objects',
    hosts: (plan) => plan.hosts.filter((h) => h.host.roles.includes('control-plane')),
    gather: async (host, { plan, host: planned, activeHosts, facts }, ctx) => {
      const bin = unitBinary(planned, 'control-plane', APISERVER);
      return apiHost(plan, activeHosts) === planned.host.name && bin ? gatherRunnable(host, facts, [bin], ctx) : {};
    },
    plan: planNotes,
    verify: async (_host, input, ctx) => {
      const name = input.host.host.name;
      if (apiHost(input.plan, input.activeHosts) !== name) return [];
      const skip = notRunnableReason(input.host, input.facts, 'control-plane', APISERVER);
      if (skip) return [`cluster objects skipped: ${skip}`];
      const applied = await bootstrapCluster(access, input.plan, name, ctx);
      const changed = applied.filter((o) => o.result !== 'unchanged').map((o) => `${o.result} ${o.id}`);
      return [`cluster objects via ${name}'s apiserver: ${summarizeApplied(applied)}`, ...changed.map((c) => `  ${c}`)];
    },
  };
}
