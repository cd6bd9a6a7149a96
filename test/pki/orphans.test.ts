/**
 * #14: orphaned certificates (pure part). Which state files are issued for what the inventory no
 * longer has, and which are never orphans whatever the inventory says.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Inventory } from '../../src/inventory/types.js';
import { checkOrphans, describeOrphans, orphanCandidates, type CandidateContent } from '../../src/pki/orphans.js';
import type { PkiWrite } from '../../src/pki/state-types.js';
import { aHost, exampleInventory } from '../support/inventory-builder.js';
import { pkiFixtureResult, shippedCatalogue } from '../support/pki-fixture.js';

const catalogue = shippedCatalogue();
let writes: readonly PkiWrite[] = [];
let names: string[] = [];
const content = (name: string): string => writes.find((w) => w.name === name)!.content;

beforeAll(async () => {
  writes = (await pkiFixtureResult(exampleInventory())).writes;
  names = writes.map((w) => w.name);
});

/** The example inventory with node02 renamed node03 (same address and roles). */
function renamed(): Inventory {
  const inv = exampleInventory();
  return { ...inv, hosts: inv.hosts.map((h) => (h.name === 'node02' ? { ...h, name: 'node03' } : h)) };
}

describe('orphanCandidates', () => {
  it('nothing is orphaned when the state matches the inventory', () => {
    expect(orphanCandidates(catalogue, exampleInventory(), names)).toEqual([]);
  });

  it('a renamed host leaves its per-host certificates and keys, with the reason', () => {
    const got = orphanCandidates(catalogue, renamed(), names);
    expect(got.map((o) => o.file)).toEqual(['etcd-peer@node02.crt', 'etcd-peer@node02.key', 'etcd-server@node02.crt', 'etcd-server@node02.key']);
    expect(got.every((o) => o.reason === 'host node02 is no longer in the inventory')).toBe(true);
  });

  it('a host that lost a role: its certificates for that role', () => {
    const inv = exampleInventory();
    const dropped = { ...inv, hosts: inv.hosts.map((h) => (h.name === 'node02' ? aHost('node02', h.internalIP, ['worker']) : h)) };
    const got = orphanCandidates(catalogue, dropped, names);
    expect(got.map((o) => o.id)).toEqual(['etcd-peer@node02', 'etcd-peer@node02', 'etcd-server@node02', 'etcd-server@node02']);
    expect(got[0]!.reason).toBe('host node02 no longer has the etcd role');
  });

  it('admin identity switched to system-masters: super-admin is orphaned; admin (re-issued in place) is not', () => {
    const inv = exampleInventory();
    const got = orphanCandidates(catalogue, { ...inv, pki: { ...inv.pki, adminIdentity: 'system-masters' } }, names);
    expect(got.map((o) => o.file)).toEqual(['super-admin.crt', 'super-admin.key']);
    expect(got[0]!.reason).toBe('pki.adminIdentity is system-masters; super-admin is issued only with cluster-admins');
  });

  it('never: CAs, sa.key/sa.pub, the token, unknown names, CA-looking per-host names, whatever the inventory', () => {
    const inv = exampleInventory();
    const empty: Inventory = { ...inv, hosts: [], pki: { ...inv.pki, adminIdentity: 'system-masters' } };
    const extra = [
      'kubernetes-ca.crt', 'kubernetes-ca.key', 'etcd-ca.key', 'front-proxy-ca.key', 'sa.key', 'sa.pub', 'bootstrap-token.json',
      'kubernetes-ca@node02.crt', 'etcd-ca@old.key', 'service-account@old.key', 'mine.crt', 'notes.txt', 'etcd-server@old.crt.bak',
      'etcd-server.crt', 'apiserver@old.crt', '@old.crt', 'archive', '.lock', '.commit', '.etcd-server@old.crt.pending',
    ];
    const files = orphanCandidates(catalogue, empty, extra).map((o) => o.file);
    expect(files).toEqual([]);
    // the same inventory does orphan real per-host leaves: the refusal above is about the names
    expect(orphanCandidates(catalogue, empty, ['etcd-server@old.crt']).map((o) => o.file)).toEqual(['etcd-server@old.crt']);
  });
});

describe('checkOrphans: content a prune would refuse', () => {
  const regular = (text: string): CandidateContent => ({ regularFile: true, text });
  const candidate = (file: string) => ({ file, id: file.replace(/\.(crt|key)$/, ''), reason: 'host node02 is no longer in the inventory' });
  const protect = () => ({ caCerts: new Map([['kubernetes-ca', content('kubernetes-ca.crt')], ['etcd-ca', content('etcd-ca.crt')]]), saPublicPem: content('sa.pub') });

  it('a real orphaned leaf and its key pass', () => {
    const files = ['etcd-server@node02.crt', 'etcd-server@node02.key'];
    const got = checkOrphans(files.map(candidate), new Map(files.map((f) => [f, regular(content(f))])), protect());
    expect(got.map((o) => o.refused)).toEqual([undefined, undefined]);
  });

  it('refuses a CA certificate, a CA key, the service-account key, garbage, a symlink, an unreadable file', () => {
    const cases: [string, CandidateContent, RegExp][] = [
      ['etcd-server@x1.crt', regular(content('etcd-ca.crt')), /CA certificate/],
      ['etcd-server@x2.key', regular(content('etcd-ca.key')), /private key of the etcd-ca CA/],
      ['etcd-server@x3.key', regular(content('sa.key')), /service-account key/],
      ['etcd-server@x4.crt', regular('hello\n'), /not a PEM certificate/],
      ['etcd-server@x5.key', regular(''), /not a PEM private key/],
      ['etcd-server@x6.crt', { regularFile: false }, /not a regular file/],
      ['etcd-server@x7.key', { regularFile: true }, /cannot be read/],
    ];
    const got = checkOrphans(cases.map(([f]) => candidate(f)), new Map(cases.map(([f, c]) => [f, c])), protect());
    for (const [i, [file, , why]] of cases.entries()) expect(got[i]!.refused, file).toMatch(why);
  });
});

describe('describeOrphans', () => {
  it('names each file and why, and the command that archives them', () => {
    const lines = describeOrphans([{ file: 'etcd-server@node02.crt', id: 'etcd-server@node02', reason: 'host node02 is no longer in the inventory' }], 'inv.yaml');
    expect(lines[0]).toContain('kubesmith pki prune -i inv.yaml');
    expect(lines[1]).toMatch(/etcd-server@node02\.crt +host node02 is no longer in the inventory/);
    expect(describeOrphans([], 'inv.yaml')).toEqual([]);
  });
});
