/** Things a reviewer should know about a plan that are not errors (printed by `plan` and in PLAN.md). */
import type { Inventory } from '../inventory/types.js';
import type { PkiDecision } from '../pki/types.js';
import { parseVersion } from '../shared/semver.js';
import { appliesTo, K8S_RULES } from './flags-by-version.js';
import { LB_EXECUTABLES } from './views/apiserver-lb.js';

/** Human notices, one line each, in a stable order. */
export function planNotices(inv: Inventory, decisions: readonly PkiDecision[], opts: { ephemeralPki: boolean }): readonly string[] {
  const out: string[] = [];
  const pending = decisions.filter((d) => d.action === 'issue' || d.action === 'renew');
  if (opts.ephemeralPki) {
    out.push('PKI: the state has no certificates yet; this render uses a throw-away in-memory PKI (run `kubesmith pki generate` to create the real one)');
  } else if (pending.length > 0) {
    out.push(`PKI: ${pending.length} certificate(s) would be issued or renewed; their rendered bytes are throw-away until \`kubesmith pki generate\` or apply saves them`);
  }
  const k8s = parseVersion(inv.cluster.kubernetesVersion);
  if (k8s && inv.cluster.proxyMode === 'ipvs' && appliesTo(K8S_RULES.kubeProxyIpvsDeprecated, k8s)) {
    out.push(`kube-proxy: ${K8S_RULES.kubeProxyIpvsDeprecated.why} (${K8S_RULES.kubeProxyIpvsDeprecated.link})`);
  }
  if (inv.kubelet.failCgroupV1 === false) {
    // The operator chose this; say what it means on every plan, as validate does (never silent).
    out.push(`kubelet: failCgroupV1: false lets the kubelet start on cgroup v1 hosts (deprecated, maintenance only); move them to cgroup v2 (systemd.unified_cgroup_hierarchy=1) (${K8S_RULES.kubeletRefusesCgroupV1.link})`);
  }
  if (inv.cluster.apiServer.ha === 'local-proxy') {
    out.push(`API HA local-proxy: every node runs ${LB_EXECUTABLES.nginx} (OS package with the stream module) on 127.0.0.1:${inv.cluster.apiServer.port}; kube-apiserver binds its internalIP only`);
  }
  if (inv.cluster.apiServer.ha === 'vip') {
    out.push(`API HA vip: keepalived holds ${inv.cluster.apiServer.vip ?? 'the VIP'} on interface ${inv.cluster.apiServer.vipInterface} of the loadbalancer hosts (cluster.apiServer.vipInterface); nginx and keepalived come from the OS packages`);
  }
  out.push('binaries: sha256 is shown once the bundle is read (apply); render lists their bundle source');
  return out;
}
