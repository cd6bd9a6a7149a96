/**
 * The per-host file set: what each role needs and nothing more. Workers never get a CA key (the
 * CA's install list decides, pkiFilesForHost); an etcd-only host gets no Kubernetes files at all.
 */
import type { Inventory, InventoryHost } from '../inventory/types.js';
import type { Artifact, PlannedHost } from '../plan/types.js';
import { binaryArtifact, textArtifact } from './artifact.js';
import { binariesForHost } from './binaries.js';
import { credentialRestarts } from './credential-restarts.js';
import { credentialPaths, type CredentialPaths } from './credentials.js';
import type { RenderContext, RoleFiles } from './render-context.js';
import { etcdFiles } from './files-etcd.js';
import { controlPlaneFiles } from './files-control-plane.js';
import { nodeFiles } from './files-node.js';
import { loadBalancerFiles } from './files-lb.js';

/** Units a host runs, in start order, for its roles and the HA mode. */
export function unitsForHost(inv: Inventory, host: InventoryHost): readonly string[] {
  const r = new Set(host.roles);
  const node = r.has('worker') || r.has('control-plane');
  return [
    ...(r.has('etcd') ? ['etcd.service'] : []),
    ...(node ? ['containerd.service'] : []),
    ...(node && inv.cluster.apiServer.ha === 'local-proxy' ? ['kubesmith-apiserver-proxy.service'] : []),
    ...(r.has('control-plane') ? ['kube-apiserver.service', 'kube-controller-manager.service', 'kube-scheduler.service'] : []),
    ...(node ? ['kubelet.service', 'kube-proxy.service'] : []),
    ...(r.has('loadbalancer') && inv.cluster.apiServer.ha === 'vip' ? ['kubesmith-apiserver-lb.service', 'kubesmith-keepalived.service'] : []),
  ];
}

/** The full artifact list of one host, sorted by path for stable output. */
export function planHost(ctx: RenderContext, host: InventoryHost): PlannedHost {
  const units = unitsForHost(ctx.inv, host);
  const pki = ctx.pkiFiles(ctx.inv, ctx.bundle, host);
  const creds: CredentialPaths = credentialPaths(host.name, pki);
  const roles: RoleFiles[] = [];
  if (host.roles.includes('etcd')) roles.push(etcdFiles(ctx, host, creds));
  if (host.roles.includes('control-plane')) roles.push(controlPlaneFiles(ctx, host, creds));
  if (host.roles.includes('control-plane') || host.roles.includes('worker')) roles.push(nodeFiles(ctx, host, creds));
  if (host.roles.includes('loadbalancer')) roles.push(loadBalancerFiles(ctx, host));

  const artifacts: Artifact[] = [
    ...pki.map((f) =>
      textArtifact(
        {
          host: host.name,
          kind: f.secret ? 'key' : 'cert',
          phase: 'certificates',
          path: f.path,
          secret: f.secret,
          restarts: credentialRestarts(f.certId, f.secret, f.path.startsWith(`${ctx.inv.paths.etcd.replace(/\/+$/, '')}/`), units),
          mode: f.mode,
        },
        f.content,
        ctx.sha256,
      ),
    ),
    ...binariesForHost(ctx.inv, host, ctx.layout).map((b) =>
      binaryArtifact({ host: host.name, phase: 'binaries', path: b.path, restarts: b.restarts }, b.source, ctx.binaries),
    ),
    // Image tarballs are data: 0644, never executed.
    ...roles.flatMap((r) => (r.data ?? []).map((d) => ({ ...binaryArtifact({ host: host.name, phase: d.phase, path: d.path, restarts: [] }, d.source, ctx.binaries), mode: 0o644 }))),
    ...roles.flatMap((r) =>
      r.files.map((f) =>
        textArtifact(
          { host: host.name, kind: f.kind, phase: f.phase, path: f.path, secret: f.secret, restarts: f.restarts, ...(f.reloads ? { reloads: f.reloads } : {}) },
          ctx.engine.render(f.template, f.view),
          ctx.sha256,
        ),
      ),
    ),
  ];
  artifacts.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { host, artifacts, units };
}
