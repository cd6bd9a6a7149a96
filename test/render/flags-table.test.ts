/**
 * Every flag kubesmith renders, for every supported Kubernetes minor, is accounted for by the one
 * version table (src/render/flags-by-version.ts): either a flag valid in the whole range
 * (STABLE_FLAGS) or one a rule allows for that version. A rule's flags never appear in a version
 * it does not apply to (removed flags stay removed, new ones are not rendered early). The stable
 * set is then checked against real Kubernetes sources (v1.35.6 and v1.36.3 trees), when present.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Inventory, ProxyMode } from '../../src/inventory/types.js';
import { appliesTo, K8S_RULES, STABLE_FLAGS, type VersionRule } from '../../src/render/flags-by-version.js';
import { parseVersion, SUPPORTED_KUBERNETES } from '../../src/shared/semver.js';
import { exampleInventory } from '../support/inventory-builder.js';
import { planFor } from './support/render.js';

const RULES: readonly VersionRule[] = Object.values(K8S_RULES);
const COMPONENTS = Object.keys(STABLE_FLAGS);
const minors = Array.from({ length: SUPPORTED_KUBERNETES.max.minor - SUPPORTED_KUBERNETES.min.minor + 1 }, (_, i) => SUPPORTED_KUBERNETES.min.minor + i);

/** Component (unit name) -> the flag names of its ExecStart; config files kept whole for config-line rules. */
interface Rendered {
  readonly flags: ReadonlyMap<string, readonly string[]>;
  readonly text: string;
}

async function render(inv: Inventory): Promise<Rendered> {
  const plan = await planFor(inv);
  const flags = new Map<string, string[]>();
  const texts: string[] = [];
  for (const host of plan.hosts) {
    for (const a of host.artifacts) {
      if (typeof a.content !== 'string') continue;
      const unit = /\/([^/]+)\.service$/.exec(a.path)?.[1];
      if (a.kind === 'unit' && unit !== undefined && COMPONENTS.includes(unit)) {
        const exec = /^ExecStart=([\s\S]*?[^\\])\n/m.exec(a.content)?.[1] ?? '';
        const names = [...exec.matchAll(/(?:^|\s)--([a-z0-9-]+)=/g)].map((m) => m[1]!);
        flags.set(unit, [...new Set([...(flags.get(unit) ?? []), ...names])]);
      }
      if (/kubelet-config|kube-proxy-config|\.service$/.test(a.path)) texts.push(a.content);
    }
  }
  return { flags, text: texts.join('\n') };
}

/** The example inventory at `minor`, with 2 control planes (HA) or 1, and a proxy mode valid there. */
function variant(minor: number, ha: boolean, proxyMode: ProxyMode, failCgroupV1?: boolean): Inventory {
  const base = exampleInventory();
  return exampleInventory({
    cluster: { ...base.cluster, kubernetesVersion: `v1.${minor}.1`, proxyMode, ...(ha ? {} : { apiServer: { ...base.cluster.apiServer, ha: 'none' } }) },
    hosts: ha ? base.hosts : base.hosts.filter((h) => h.name !== 'master02'),
    kubelet: failCgroupV1 === undefined ? {} : { failCgroupV1 },
    kubeProxy: { conntrack: { maxPerCore: 0 } },
  });
}

describe('every rendered flag is in the version table, for every supported version', () => {
  for (const minor of minors) {
    it(`v1.${minor}: allowed flags only, and no flag of a rule outside its range`, async () => {
      const v = parseVersion(`v1.${minor}.1`)!;
      const modes: ProxyMode[] = appliesTo(K8S_RULES.kubeProxyNftables, v) ? ['nftables', 'ipvs', 'iptables'] : ['ipvs', 'iptables'];
      const field = appliesTo(K8S_RULES.kubeletFailCgroupV1Field, v) ? false : undefined;
      const renders = await Promise.all([variant(minor, true, modes[0]!, field), variant(minor, false, modes[1]!), ...modes.slice(2).map((m) => variant(minor, true, m))].map(render));
      const applying = RULES.filter((r) => appliesTo(r, v));
      for (const r of renders) {
        for (const [unit, names] of r.flags) {
          const allowed = new Set([...(STABLE_FLAGS[unit] ?? []), ...applying.flatMap((x) => (x.flags ?? []).map((f) => f.replace(/^--/, '').replace(/=$/, '')))]);
          expect(names.filter((n) => !allowed.has(n)), `${unit} at v1.${minor}`).toEqual([]);
        }
        for (const rule of RULES.filter((x) => !appliesTo(x, v))) {
          for (const f of rule.flags ?? []) expect(r.text.includes(f), `${f} (${rule.what}) rendered at v1.${minor}`).toBe(false);
        }
      }
      // The rules that add something do add it where they apply (the test above would pass on an empty render).
      const all = renders.map((r) => r.text).join('\n');
      expect(all.includes('--peer-ca-file')).toBe(appliesTo(K8S_RULES.apiserverPeerProxy, v));
      expect(all.includes('mode: nftables')).toBe(appliesTo(K8S_RULES.kubeProxyNftables, v));
      expect(all.includes('failCgroupV1: false')).toBe(appliesTo(K8S_RULES.kubeletFailCgroupV1Field, v));
      expect(renders[0]!.flags.get('kube-apiserver')).toContain('etcd-servers');
    });
  }

  it('names no flag twice and gives every flag-carrying rule a component', () => {
    for (const [unit, names] of Object.entries(STABLE_FLAGS)) expect(new Set(names).size, unit).toBe(names.length);
    for (const r of RULES) if (r.flags) expect(r.flags.length).toBeGreaterThan(0);
  });
});

/** Kubernetes trees on this machine (OpenShift's vendored fork of upstream): cmd/, pkg/, staging/, vendor/. */
const TREES = ['/root/k8s/src/1.35.6', '/root/k8s/src/1.36.3'].filter((t) => existsSync(`${t}/cmd/kube-apiserver`));

describe.skipIf(TREES.length === 0)('the stable flags exist in real Kubernetes sources', () => {
  for (const tree of TREES) {
    it(`every STABLE_FLAGS entry is registered as a flag in ${tree}`, () => {
      const names = [...new Set(Object.values(STABLE_FLAGS).flat())];
      // Flags are registered as fs.XxxVar(&x, "name", ...) or fs.Var(&x, "name", ...): find each "name" literal in a Var call.
      const pattern = `Var[P]?\\([^,]+, "(${names.join('|')})"`;
      const out = execFileSync('grep', ['-rhoE', '--include=*.go', pattern, 'cmd', 'pkg', 'staging/src/k8s.io', 'vendor/k8s.io'], { cwd: tree, encoding: 'utf8', maxBuffer: 64 << 20 });
      const found = new Set([...out.matchAll(/"([a-z0-9-]+)"/g)].map((m) => m[1]!));
      expect(names.filter((n) => !found.has(n))).toEqual([]);
    }, 120_000);

    it(`the flags the table says were removed are not registered in ${tree}`, () => {
      const removed = RULES.filter((r) => r.removed === true && r.through !== undefined && r.through.minor < Number(/1\.(\d+)\./.exec(tree)?.[1]))
        .flatMap((r) => r.flags ?? [])
        .filter((f) => f.startsWith('--'))
        .map((f) => f.replace(/^--/, '').replace(/=$/, ''));
      const pattern = `Var[P]?\\([^,]+, "(${removed.join('|')})"`;
      let out = '';
      try {
        out = execFileSync('grep', ['-rhoE', '--include=*.go', pattern, 'cmd/kubelet', 'cmd/kube-apiserver', 'cmd/kube-controller-manager', 'cmd/kube-proxy', 'cmd/kube-scheduler', 'pkg/controlplane', 'staging/src/k8s.io/apiserver/pkg/server/options'], { cwd: tree, encoding: 'utf8' });
      } catch (err) {
        if ((err as { status?: number }).status !== 1) throw err; // grep exits 1 when nothing matched
      }
      expect(out).toBe('');
    }, 120_000);
  }
});
