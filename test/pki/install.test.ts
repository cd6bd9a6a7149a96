/** pkiFilesForHost: which credential files each host receives, with modes; keyless CAs stay offline. */
import { describe, expect, it } from 'vitest';
import { installPath, pemOf, pkiFilesForHost } from '../../src/pki/install.js';
import type { PkiBundle } from '../../src/pki/types.js';
import { aHost, exampleInventory } from '../support/inventory-builder.js';
import { pkiFixture } from '../support/pki-fixture.js';

const inv = exampleInventory({
  hosts: [
    aHost('master01', '192.168.80.10', ['control-plane', 'etcd']),
    aHost('master02', '192.168.80.20', ['control-plane']),
    aHost('node01', '192.168.80.11', ['worker']),
    aHost('etcd03', '192.168.80.13', ['etcd']),
    aHost('lb01', '192.168.80.14', ['loadbalancer']),
  ],
});
const bundleP = pkiFixture(inv);
const host = (name: string) => inv.hosts.find((h) => h.name === name)!;
const files = async (name: string, b?: PkiBundle) => pkiFilesForHost(inv, b ?? (await bundleP), host(name));
const paths = async (name: string) => (await files(name)).map((f) => f.path).sort();

describe('pkiFilesForHost', () => {
  it('gives a control-plane + etcd host its etcd member certs, the apiserver set, SA keys and the kubernetes CA key', async () => {
    expect(await paths('master01')).toEqual(
      [
        '/opt/etcd/ssl/ca.pem', '/opt/etcd/ssl/server.pem', '/opt/etcd/ssl/server-key.pem', '/opt/etcd/ssl/peer.pem', '/opt/etcd/ssl/peer-key.pem',
        '/opt/etcd/ssl/healthcheck-client.pem', '/opt/etcd/ssl/healthcheck-client-key.pem',
        '/opt/kubernetes/ssl/ca.pem', '/opt/kubernetes/ssl/ca-key.pem', '/opt/kubernetes/ssl/etcd-ca.pem', '/opt/kubernetes/ssl/front-proxy-ca.pem',
        '/opt/kubernetes/ssl/sa.key', '/opt/kubernetes/ssl/sa.pub',
        '/opt/kubernetes/ssl/apiserver.pem', '/opt/kubernetes/ssl/apiserver-key.pem',
        '/opt/kubernetes/ssl/apiserver-kubelet-client.pem', '/opt/kubernetes/ssl/apiserver-kubelet-client-key.pem',
        '/opt/kubernetes/ssl/apiserver-etcd-client.pem', '/opt/kubernetes/ssl/apiserver-etcd-client-key.pem',
        '/opt/kubernetes/ssl/front-proxy-client.pem', '/opt/kubernetes/ssl/front-proxy-client-key.pem',
      ].sort(),
    );
  });

  it('installs the member\'s own etcd certificates (CN = member name)', async () => {
    const b = await bundleP;
    const server = (await files('master01')).find((f) => f.path === '/opt/etcd/ssl/server.pem')!;
    expect(server.certId).toBe('etcd-server@master01');
    expect(server.content).toBe(pemOf(b, 'etcd-server@master01'));
    expect((await files('etcd03')).find((f) => f.path === '/opt/etcd/ssl/peer-key.pem')!.content).toBe(pemOf(b, 'etcd-peer@etcd03', 'key'));
  });

  it('gives an etcd-only host no Kubernetes credentials, and never the etcd CA key', async () => {
    const p = await paths('etcd03');
    expect(p.every((x) => x.startsWith('/opt/etcd/ssl/'))).toBe(true);
    expect(p).toHaveLength(7);
    const b = await bundleP;
    for (const h of inv.hosts) for (const f of await files(h.name)) expect(f.content, `${h.name} ${f.path}`).not.toBe(b.certs.get('etcd-ca')!.keyPem);
  });

  it('gives a worker only the kubernetes CA certificate, and a load balancer nothing', async () => {
    expect(await paths('node01')).toEqual(['/opt/kubernetes/ssl/ca.pem']);
    expect(await paths('lb01')).toEqual([]);
  });

  it('never installs the front-proxy CA key, the super-admin or admin credentials', async () => {
    const b = await bundleP;
    const secrets = new Set([b.certs.get('front-proxy-ca')!.keyPem, b.certs.get('super-admin')!.keyPem, b.certs.get('admin')!.keyPem, b.certs.get('super-admin')!.certPem]);
    for (const h of inv.hosts) for (const f of await files(h.name)) expect(secrets.has(f.content), `${h.name} ${f.path}`).toBe(false);
  });

  it('marks keys 0600 and secret, certificates and sa.pub 0644', async () => {
    for (const f of await files('master01')) {
      const isKey = f.path.endsWith('-key.pem') || f.path.endsWith('sa.key');
      expect([f.mode, f.secret], f.path).toEqual(isKey ? [0o600, true] : [0o644, false]);
    }
  });

  it('follows the inventory paths', async () => {
    const custom = { ...inv, paths: { etcd: '/srv/etcd', kubernetes: '/srv/k8s' } };
    const p = pkiFilesForHost(custom, await bundleP, host('master02')).map((f) => f.path);
    expect(p).toContain('/srv/k8s/ssl/apiserver.pem');
    expect(p.every((x) => x.startsWith('/srv/'))).toBe(true);
    expect(installPath(custom, await bundleP, 'etcd-server', 'key', 'etcd')).toBe('/srv/etcd/ssl/server-key.pem');
  });

  it('keeps a CA key offline in keyless mode', async () => {
    const b = await bundleP;
    const ca = b.certs.get('kubernetes-ca')!;
    const keyless: PkiBundle = { ...b, certs: new Map([...b.certs, ['kubernetes-ca', { id: ca.id, certPem: ca.certPem }]]) };
    const p = pkiFilesForHost(inv, keyless, host('master01')).map((f) => f.path);
    expect(p).toContain('/opt/kubernetes/ssl/ca.pem');
    expect(p).not.toContain('/opt/kubernetes/ssl/ca-key.pem');
  });
});
