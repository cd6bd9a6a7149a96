/**
 * pki/profiles.yaml invariants: every signer exists and is a CA (so no cycles), every role gets what
 * its components need, and no CA key reaches a host that does not need it. Plus catalogue validation.
 */
import { describe, expect, it } from 'vitest';
import { ROLES } from '../../src/inventory/types.js';
import { parseCatalogue } from '../../src/pki/profiles.js';
import { PkiError } from '../../src/shared/errors.js';
import { shippedCatalogue } from '../support/pki-fixture.js';

const cat = shippedCatalogue();
const byId = new Map(cat.profiles.map((p) => [p.id, p]));
const installsFor = (role: string, part: 'cert' | 'key' | 'publicKey') =>
  cat.profiles.filter((p) => p.install.some((e) => e.roles.includes(role as never) && e[part] !== undefined)).map((p) => p.id);

describe('the shipped certificate catalogue', () => {
  it('has three CAs, the service-account key pair and kubeadm\'s leaf set', () => {
    expect(cat.profiles.filter((p) => p.kind === 'ca').map((p) => p.id)).toEqual(['kubernetes-ca', 'etcd-ca', 'front-proxy-ca']);
    expect(cat.profiles.filter((p) => p.kind === 'keypair').map((p) => p.id)).toEqual(['service-account']);
    expect(cat.profiles.filter((p) => p.kind === 'leaf').map((p) => p.id).sort()).toEqual(
      ['admin', 'apiserver', 'apiserver-etcd-client', 'apiserver-kubelet-client', 'etcd-healthcheck-client', 'etcd-peer', 'etcd-server', 'front-proxy-client', 'kube-controller-manager', 'kube-proxy', 'kube-scheduler', 'super-admin'].sort(),
    );
  });

  it('resolves every signer to a CA entry, so the signer graph has no cycles', () => {
    for (const p of cat.profiles.filter((x) => x.kind === 'leaf')) expect(byId.get(p.signer!)?.kind, p.id).toBe('ca');
    for (const p of cat.profiles.filter((x) => x.kind !== 'leaf')) expect(p.signer, p.id).toBeUndefined();
  });

  it('signs etcd certificates only with the etcd CA and the aggregation client only with the front-proxy CA', () => {
    for (const id of ['etcd-server', 'etcd-peer', 'etcd-healthcheck-client', 'apiserver-etcd-client']) expect(byId.get(id)?.signer).toBe('etcd-ca');
    expect(byId.get('front-proxy-client')?.signer).toBe('front-proxy-ca');
  });

  it('covers what each role\'s components load from disk', () => {
    // etcd: --cert-file/--peer-cert-file/--trusted-ca-file, plus the health-check client for etcdctl
    expect(installsFor('etcd', 'cert')).toEqual(expect.arrayContaining(['etcd-ca', 'etcd-server', 'etcd-peer', 'etcd-healthcheck-client']));
    expect(installsFor('etcd', 'key')).toEqual(expect.arrayContaining(['etcd-server', 'etcd-peer', 'etcd-healthcheck-client']));
    // kube-apiserver and kube-controller-manager flags (pki-spec.md §3)
    expect(installsFor('control-plane', 'cert')).toEqual(
      expect.arrayContaining(['kubernetes-ca', 'etcd-ca', 'front-proxy-ca', 'apiserver', 'apiserver-kubelet-client', 'apiserver-etcd-client', 'front-proxy-client']),
    );
    expect(installsFor('control-plane', 'key')).toEqual(expect.arrayContaining(['kubernetes-ca', 'service-account', 'apiserver', 'apiserver-kubelet-client', 'apiserver-etcd-client', 'front-proxy-client']));
    expect(installsFor('control-plane', 'publicKey')).toEqual(['service-account']);
    // kubelet: clientCAFile
    expect(installsFor('worker', 'cert')).toContain('kubernetes-ca');
  });

  it('installs a CA key only where it is needed: the kubernetes CA key on control-plane hosts, nothing else', () => {
    for (const role of ROLES) {
      const caKeys = cat.profiles.filter((p) => p.kind === 'ca' && p.install.some((e) => e.key !== undefined && e.roles.includes(role))).map((p) => p.id);
      expect(caKeys, role).toEqual(role === 'control-plane' ? ['kubernetes-ca'] : []);
    }
  });

  it('never installs the break-glass super-admin credential, nor keys on workers or load balancers', () => {
    expect(byId.get('super-admin')?.install).toEqual([]);
    expect(byId.get('super-admin')?.organizations).toEqual(['system:masters']);
    expect(installsFor('worker', 'key')).toEqual([]);
    expect(installsFor('loadbalancer', 'cert')).toEqual([]);
  });
});

describe('catalogue validation', () => {
  const bad = (yaml: string): string[] => {
    try {
      parseCatalogue(yaml, 'profiles.yaml');
    } catch (err) {
      expect(err).toBeInstanceOf(PkiError);
      return [...(err as PkiError).detail];
    }
    throw new Error('expected a PkiError');
  };

  it('reports an unknown signer, a leaf signed by a leaf and a duplicate id, each with its line', () => {
    const issues = bad(
      [
        'certificates:',
        '  - { id: ca, kind: ca, commonName: ca }',
        '  - { id: a, kind: leaf, signer: nope, commonName: a, usages: [clientAuth] }',
        '  - { id: b, kind: leaf, signer: a, commonName: b, usages: [clientAuth] }',
        '  - { id: ca, kind: ca, commonName: again }',
      ].join('\n'),
    );
    expect(issues).toEqual([
      'profiles.yaml:5: duplicate id "ca"',
      'profiles.yaml:3: a: signer "nope" is not in the catalogue',
      'profiles.yaml:4: b: signer "a" is not a ca entry',
    ]);
  });

  it('rejects unknown fields, usages and SAN sources, and CA keys for non-control-plane roles', () => {
    const issues = bad(
      [
        'certificates:',
        '  - id: ca',
        '    kind: ca',
        '    commonName: ca',
        '    install: [{ roles: [worker], key: /x/ca.key }]',
        '  - { id: l, kind: leaf, signer: ca, commonName: l, usages: [codeSigning], sans: [host.nope], colour: red }',
      ].join('\n'),
    );
    expect(issues).toEqual([
      'profiles.yaml:2: ca: a CA key may only be installed on control-plane hosts',
      'profiles.yaml:6: unknown field "colour"',
      'profiles.yaml:6: l: unknown usage "codeSigning" (serverAuth, clientAuth)',
      expect.stringMatching(/^profiles\.yaml:6: l: unknown SAN source "host\.nope"/),
    ]);
  });

  it('reports YAML syntax errors with their line', () => {
    expect(bad('certificates:\n  - { id: x\n')[0]).toMatch(/^profiles\.yaml:\d+: /);
  });
});
