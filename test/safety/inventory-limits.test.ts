/**
 * Safety suite, area C2 (#13 items 7 and 8): an inventory that is too large, too deep, expands
 * through aliases, or describes a cluster that cannot run is refused by every command with exit 2
 * and a message naming the file, the line and the limit or rule; nothing is written (no state
 * directory, no render, no CA). FQDN node names and YAML merge keys work end to end.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCliCaptured } from '../support/cli-run.js';
import { snapshotTree, treeChanges } from '../support/tree-snapshot.js';

const FIXTURES = new URL('../fixtures/inventories/', import.meta.url).pathname;
const EXAMPLE = readFileSync(new URL('../../inventory.example.yaml', import.meta.url), 'utf8');
const HEAD = 'apiVersion: kubesmith/v1alpha1\ncluster:\n  name: demo\n  kubernetesVersion: v1.31.2\n';
const ONE_HOST = '  - { name: master01, address: 192.168.80.10, roles: [control-plane, etcd] }\n';

let dir = '';
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kubesmith-safety-limits-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const COMMANDS: readonly (readonly string[])[] = [
  ['validate'],
  ['plan'],
  ['render', '--out', 'out'],
  ['pki', 'generate'],
  ['pki', 'check'],
  ['apply', '--dry-run'],
];

/** Runs `argv -i inventory.yaml` on `text`; asserts exit 2, the message, and that nothing under the dir changed. */
async function refused(text: string, argv: readonly string[], message: RegExp): Promise<void> {
  writeFileSync(join(dir, 'inventory.yaml'), text);
  const before = snapshotTree(dir);
  const r = await runCliCaptured([...argv, '-i', 'inventory.yaml'], { cwd: dir, env: { NO_COLOR: '1' } });
  expect(r.err).toMatch(message);
  expect(r.code).toBe(2);
  expect(treeChanges(before, snapshotTree(dir))).toEqual([]);
  expect(existsSync(join(dir, '.kubesmith'))).toBe(false);
}

describe('#13.7 input limits: every command refuses, exit 2, nothing written', () => {
  const huge = `${EXAMPLE}\n${'# padding line of a pasted log that does not belong here\n'.repeat(90_000)}`;

  it.each(COMMANDS)('%s: a 5 MiB inventory (was: heap exhausted after 86 s, exit 134)', async (...argv) => {
    await refused(huge, argv, /inventory\.yaml:1:1: the inventory is 4\.\d MiB, over the 4\.0 MiB limit .*check that -i names the inventory/);
  });

  it('a hosts list over 5,000 entries, named at its line', async () => {
    const hosts = Array.from({ length: 5001 }, (_, i) => `  - { name: n${i}, address: 10.${i >> 8}.${i & 255}.1, roles: [worker] }`).join('\n');
    await refused(`${HEAD}hosts:\n${hosts}\n`, ['pki', 'generate'], /inventory\.yaml:5:1: hosts lists 5,001 hosts; kubesmith manages at most 5,000 per inventory/);
  });

  it('nesting that would overflow the parser, named at its line', async () => {
    await refused(`${HEAD}hosts:\n${ONE_HOST}x: ${'['.repeat(100_000)}\n`, ['render', '--out', 'out'], /inventory\.yaml:7:\d+: nesting deeper than 64 levels/);
  });

  it('aliases that expand past 500,000 values (billion laughs)', async () => {
    const roles = `&r [control-plane, etcd${', worker'.repeat(998)}]`;
    const hosts = Array.from({ length: 600 }, (_, i) => `  - { name: n${i}, address: 10.1.${i >> 8}.${(i & 255) + 1}, roles: ${i === 0 ? roles : '*r'} }`);
    await refused(`${HEAD}hosts:\n${hosts.join('\n')}\n`, ['validate'], /inventory\.yaml:1:1: the inventory's aliases \(\*name\) expand to more than 500,000 values/);
  });
});

describe('#13.8 clusters that cannot run: refused before any key is made', () => {
  it.each([
    ['a /30 podCIDR (smaller than the /24 each node gets)', '  podCIDR: 10.244.0.0/30\n', ONE_HOST, /inventory\.yaml:5:12: podCIDR 10\.244\.0\.0\/30 is smaller than the \/24 range/],
    ['apiServer.port on etcd\'s client port', '  apiServer: { port: 2379 }\n', ONE_HOST, /inventory\.yaml:5:22: port 2379 is taken twice on host "master01": kube-apiserver and etcd \(clients\)/],
    ['an IPv6 host in an IPv4 cluster', '', '  - { name: master01, address: "fd00::10", roles: [control-plane, etcd] }\n', /inventory\.yaml:6:32: address fd00::10 of host "master01" is IPv6, but the cluster is IPv4/],
    ['the same IPv6 address written twice differently', '  serviceCIDR: fd00:10::/108\n  podCIDR: fd00:244::/56\n',
      '  - { name: master01, address: "fd00::10", roles: [control-plane, etcd] }\n  - { name: node01, address: "fd00:0:0::10", roles: [worker] }\n',
      /inventory\.yaml:9:30: duplicate address "fd00:0:0::10" \(host "master01" on line 8 uses it, written "fd00::10"\)/],
    ['a version with a leading zero', '', ONE_HOST, /kubernetesVersion "v1\.31\.02" is malformed; write it as v1\.31\.2/],
  ])('%s', async (_what, clusterExtra, hosts, message) => {
    const head = _what.includes('leading zero') ? HEAD.replace('v1.31.2', 'v1.31.02') : HEAD;
    await refused(`${head}${clusterExtra}hosts:\n${hosts}`, ['pki', 'generate'], message);
  });
});

describe('#13.8 legitimate inventories work end to end', () => {
  it('FQDN node names and YAML merge keys: validate, pki generate and render exit 0', async () => {
    const text = readFileSync(join(FIXTURES, 'valid/fqdn-names-and-merge-keys.yaml'), 'utf8');
    writeFileSync(join(dir, 'inventory.yaml'), `${text}pki: { keyAlgorithm: ecdsa-p256 }\n`);
    const run = (...argv: string[]) => runCliCaptured([...argv, '-i', 'inventory.yaml'], { cwd: dir, env: { NO_COLOR: '1' } });
    const v = await run('validate');
    expect(v.out).toMatch(/OK: cluster dc2, .*5 hosts \(etcd 3, control-plane 2, worker 3\)/);
    expect(v.code).toBe(0);
    expect((await run('pki', 'generate')).code).toBe(0);
    const r = await run('render', '--out', 'out');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(existsSync(join(dir, 'out/node02.dc2.example.com'))).toBe(true);
    expect(readFileSync(join(dir, 'out/PLAN.md'), 'utf8')).toContain('master02.dc2.example.com');
  });
});
