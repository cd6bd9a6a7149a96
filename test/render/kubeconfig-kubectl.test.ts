/**
 * kubectl (the real client) reads every rendered kubeconfig, and what it reads back round-trips to
 * the PKI bundle: the embedded CA is the kubernetes CA, the client certificate and key are exactly
 * the bundle's for that identity (CN checked with node:crypto), the token is the bootstrap token,
 * and the server URL follows the HA mode.
 */
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createEngine } from '../../src/render/engine.js';
import { operatorFiles } from '../../src/render/operator-files.js';
import { exampleInventory } from '../support/inventory-builder.js';
import { planFor } from './support/render.js';
import { shippedTemplates } from './support/templates.js';

const hasKubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;
if (!hasKubectl) console.warn('skipping kubectl kubeconfig tests: kubectl is not installed (Debian: kubernetes-client)');

const dir = mkdtempSync(join(tmpdir(), 'kubesmith-kubeconfig-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Viewed {
  clusters: { name: string; cluster: { server: string; 'certificate-authority-data': string } }[];
  users: { name: string; user: { token?: string; 'client-certificate-data'?: string; 'client-key-data'?: string } }[];
  contexts: { name: string; context: { cluster: string; user: string } }[];
  'current-context': string;
}

let n = 0;
function kubectlView(content: string): Viewed {
  const file = join(dir, `k${n++}.kubeconfig`);
  writeFileSync(file, content, { mode: 0o600 });
  const r = spawnSync('kubectl', ['config', 'view', '--raw', '--kubeconfig', file, '-o', 'json'], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Viewed;
}

const unb64 = (s: string | undefined): string => Buffer.from(s ?? '', 'base64').toString('utf8');

/** Expected identity (bundle id, CN) of each kubeconfig path. */
const IDENTITIES: Record<string, { id: string; cn: string }> = {
  'kube-controller-manager.kubeconfig': { id: 'kube-controller-manager', cn: 'system:kube-controller-manager' },
  'kube-scheduler.kubeconfig': { id: 'kube-scheduler', cn: 'system:kube-scheduler' },
  'kube-proxy.kubeconfig': { id: 'kube-proxy', cn: 'system:kube-proxy' },
  'admin.kubeconfig': { id: 'admin', cn: 'kubernetes-admin' },
  'super-admin.kubeconfig': { id: 'super-admin', cn: 'kubernetes-super-admin' },
};

describe.skipIf(!hasKubectl)('kubeconfigs read by kubectl', () => {
  it('round-trips every host kubeconfig and the operator kubeconfigs to the PKI bundle', async () => {
    const inv = exampleInventory();
    const plan = await planFor(inv);
    const caPem = plan.pki.certs.get('kubernetes-ca')!.certPem;
    const files = [
      ...plan.hosts.flatMap((h) => h.artifacts.filter((a) => a.kind === 'kubeconfig').map((a) => ({ where: `${h.host.name}:${a.path}`, name: a.path.split('/').pop()!, content: a.content as string, host: h.host }))),
      ...operatorFiles(inv, plan.pki, createEngine(shippedTemplates())).map((f) => ({ where: `operator:${f.name}`, name: f.name, content: f.content, host: undefined })),
    ];
    const seen = new Set<string>();
    for (const f of files) {
      const v = kubectlView(f.content);
      seen.add(f.name);
      expect(v.clusters, f.where).toHaveLength(1);
      expect(unb64(v.clusters[0]!.cluster['certificate-authority-data']), f.where).toBe(caPem);
      expect(v['current-context']).toBe(v.contexts[0]!.name);
      const server = v.clusters[0]!.cluster.server;
      const user = v.users[0]!.user;
      if (f.name === 'bootstrap.kubeconfig') {
        expect(user.token).toBe(`${plan.bootstrapToken.id}.${plan.bootstrapToken.secret}`);
        expect(server).toBe('https://127.0.0.1:6443');
        continue;
      }
      const who = IDENTITIES[f.name];
      expect(who, f.where).toBeDefined();
      const material = plan.pki.certs.get(who!.id)!;
      expect(unb64(user['client-certificate-data'])).toBe(material.certPem);
      expect(unb64(user['client-key-data'])).toBe(material.keyPem);
      expect(new X509Certificate(unb64(user['client-certificate-data'])).subject).toContain(`CN=${who!.cn}`);
      // controller-manager and scheduler use their own apiserver; nodes the local proxy; the operator the first master.
      if (f.name === 'kube-proxy.kubeconfig') expect(server).toBe('https://127.0.0.1:6443');
      else if (f.host) expect(server).toBe(`https://${f.host.internalIP}:6443`);
      else expect(server).toBe('https://192.168.80.10:6443');
    }
    expect([...seen].sort()).toEqual(['admin.kubeconfig', 'bootstrap.kubeconfig', 'kube-controller-manager.kubeconfig', 'kube-proxy.kubeconfig', 'kube-scheduler.kubeconfig', 'super-admin.kubeconfig']);
  });

  it('follows the HA mode: VIP and single master', async () => {
    const base = exampleInventory();
    const vip = await planFor(exampleInventory({ cluster: { ...base.cluster, apiServer: { ...base.cluster.apiServer, ha: 'vip', vip: '192.168.80.88' } } }));
    const none = await planFor(exampleInventory({ cluster: { ...base.cluster, apiServer: { ...base.cluster.apiServer, ha: 'none' } } }));
    const proxyServer = (p: typeof vip): string =>
      kubectlView(p.hosts[2]!.artifacts.find((a) => a.path.endsWith('kube-proxy.kubeconfig'))!.content as string).clusters[0]!.cluster.server;
    expect(proxyServer(vip)).toBe('https://192.168.80.88:16443');
    expect(proxyServer(none)).toBe('https://192.168.80.10:6443');
  });
});
