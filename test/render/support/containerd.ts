/**
 * Real readers of rendered containerd files for the containerd-*.test.ts files:
 * - containerd 2.1 (Debian sid, unpacked by .ci/run into /opt/kubesmith-test/containerd2 with
 *   `apt-get download` + `dpkg -x`; a Go binary that runs on bookworm) reads config version 3;
 * - Debian bookworm's /usr/bin/containerd (1.6) reads version 2 only;
 * - no containerd 2.3 binary is available here, so version 4 and hosts.toml are read by Python's
 *   tomllib (a TOML 1.0 parser independent of our renderer) and checked for structure.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Inventory } from '../../../src/inventory/types.js';
import type { ClusterPlan } from '../../../src/plan/types.js';
import { createEngine } from '../../../src/render/engine.js';
import { remoteLayout } from '../../../src/render/layout.js';
import { containerdConfigView } from '../../../src/render/views/node.js';
import { parseVersion } from '../../../src/shared/semver.js';
import { exampleInventory } from '../../support/inventory-builder.js';
import { shippedTemplates } from './templates.js';

export const CONTAINERD2_BIN = '/opt/kubesmith-test/containerd2/usr/bin/containerd';
export const HAS_CONTAINERD2 = existsSync(CONTAINERD2_BIN) && spawnSync(CONTAINERD2_BIN, ['--version']).status === 0;
export const HAS_TOMLLIB = spawnSync('python3', ['-c', 'import tomllib']).status === 0;

/** The example inventory with containerd pinned to `version` (1.x clusters run Kubernetes v1.35, the last they may). */
export function inventoryWith(version: string, containerd: Partial<Inventory['containerd']> = {}): Inventory {
  const base = exampleInventory();
  const old = version.startsWith('v1.');
  return exampleInventory({
    cluster: { ...base.cluster, ...(old ? { kubernetesVersion: 'v1.35.6', etcdVersion: 'v3.6.11' } : {}) },
    containerd: { ...base.containerd, version, ...containerd },
  });
}

/** The text of `path` on the first worker (node01). */
export function nodeFile(plan: ClusterPlan, path: string): string {
  const host = plan.hosts.find((h) => h.host.name === 'node01');
  const a = host?.artifacts.find((x) => x.path === path);
  if (typeof a?.content !== 'string') throw new Error(`node01 has no rendered ${path}`);
  return a.content;
}

/** Python's tomllib reading of a TOML text, as JSON data; throws with the parser's message. */
export function parseToml(text: string): Record<string, any> {
  return parseTomls([text])[0]!;
}

/** Several texts in one Python run (its start is most of the cost). */
export function parseTomls(texts: readonly string[]): Record<string, any>[] {
  const py = 'import json, sys, tomllib; print(json.dumps([tomllib.loads(t) for t in json.load(sys.stdin)]))';
  const r = spawnSync('python3', ['-c', py], { input: JSON.stringify(texts), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tomllib: ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, any>[];
}

const engine = createEngine(shippedTemplates());

/**
 * manifests/containerd-config.toml.hbs for `inv` and containerd `version`, without a whole plan
 * (whose fixture PKI takes seconds); the plan-level tests prove buildPlan passes the same version.
 */
export function renderConfig(inv: Inventory, version = inv.containerd.version ?? ''): string {
  const v = parseVersion(version);
  if (!v) throw new Error(`not a version: ${version}`);
  return engine.render('manifests/containerd-config.toml.hbs', containerdConfigView(inv, remoteLayout(inv), v));
}
