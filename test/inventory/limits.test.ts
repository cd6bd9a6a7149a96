/**
 * Input limits (#13 item 7): a 50 MB inventory once ran the heap out after 86 s. Size, host count,
 * nesting and alias expansion are refused quickly with a message naming the limit, and a
 * 5,000-host inventory (the largest allowed) still validates fast.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkInventoryFile } from '../../src/state/load-inventory.js';
import { countBlockHosts, findDeepNesting, INVENTORY_LIMITS } from '../../src/inventory/limits.js';
import { validateInventory } from '../../src/inventory/validate.js';

const dir = mkdtempSync(join(tmpdir(), 'ks-limits-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const HEAD = ['apiVersion: kubesmith/v1alpha1', 'cluster:', '  name: big', '  kubernetesVersion: v1.31.2', '  serviceCIDR: 10.96.0.0/12', '  podCIDR: 10.128.0.0/9'];

/** n one-line hosts (3 control-plane + etcd, the rest workers) in 172.16.0.0/12. */
function hostLines(n: number, extra = ''): string[] {
  return Array.from({ length: n }, (_, i) => {
    const ip = `172.${16 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`;
    return `  - { name: node${i}, address: ${ip}, roles: ${i < 3 ? '[control-plane, etcd]' : '[worker]'}${extra} }`;
  });
}
const inventoryOf = (n: number, extra = ''): string => [...HEAD, 'hosts:', ...hostLines(n, extra), ''].join('\n');

/** CPU milliseconds a call takes (wall time on a shared 2-core machine says little). */
function cpuMs<T>(f: () => T): { value: T; ms: number } {
  const c0 = process.cpuUsage();
  const value = f();
  const c = process.cpuUsage(c0);
  return { value, ms: (c.user + c.system) / 1000 };
}

const messages = (text: string): string[] => validateInventory(text, 'inv.yaml').issues.map((i) => `${i.line}:${i.col}: ${i.message}`);

describe('inventory size', () => {
  it('refuses a file over 4 MiB before reading it, naming the file, its size and the limit', async () => {
    const file = join(dir, 'huge.yaml');
    writeFileSync(file, inventoryOf(90_000)); // about 5.5 MiB of one-line hosts
    const c0 = process.cpuUsage();
    const result = await checkInventoryFile('huge.yaml', dir);
    const c = process.cpuUsage(c0);
    expect((c.user + c.system) / 1000).toBeLessThan(200);
    expect(result.inventory).toBeUndefined();
    expect(result.issues).toHaveLength(1);
    expect(result.issues[0]).toMatchObject({ file: 'huge.yaml', line: 1, col: 1, severity: 'error' });
    expect(result.issues[0]?.message).toMatch(/^the inventory is 5\.\d MiB, over the 4\.0 MiB limit .*check that -i names the inventory/);
  });

  it('reads a device or pipe no further than the limit (-i /dev/zero)', async () => {
    const result = await checkInventoryFile('/dev/zero', dir);
    expect(result.issues.map((i) => i.message)[0]).toMatch(/^the inventory is more than 4\.0 MiB, over the 4\.0 MiB limit/);
  });

  it('checks the text too when validateInventory is called directly', () => {
    expect(messages('#'.repeat(INVENTORY_LIMITS.maxBytes + 1))[0]).toMatch(/^1:1: the inventory is 4\.0 MiB, over the 4\.0 MiB limit/);
  });
});

describe('host count', () => {
  it('refuses 5,001 block-style hosts before parsing them, at the hosts line', () => {
    const { value, ms } = cpuMs(() => messages(inventoryOf(5001)));
    expect(value).toEqual(['7:1: hosts lists 5,001 hosts; kubesmith manages at most 5,000 per inventory (split the fleet into several clusters, each with its own inventory)']);
    expect(ms).toBeLessThan(100);
  });

  it('refuses 60,000 hosts (a 4 MB file) in well under a second', () => {
    const { value, ms } = cpuMs(() => messages(inventoryOf(60_000)));
    expect(value[0]).toContain('hosts lists 60,000 hosts');
    expect(ms).toBeLessThan(500);
  });

  it('counts a flow-style hosts list after parsing', () => {
    const flow = [...HEAD, `hosts: [${hostLines(5001).map((l) => l.replace(/^ {2}- /, '')).join(', ')}]`, ''].join('\n');
    expect(messages(flow)[0]).toMatch(/^7:8: hosts lists 5,001 hosts/);
  });

  it('counts only the entries of the top-level hosts list', () => {
    const text = ['hosts:  # the fleet', '- name: a', '  roles:', '  - worker', '  - etcd', '', '# a comment', '- name: b', 'cluster:', '  x: 1', ''].join('\n');
    expect(countBlockHosts(text)).toEqual({ count: 2, line: 1 });
    expect(countBlockHosts('hosts: [a, b]\n')).toBeUndefined();
    expect(countBlockHosts('cluster:\n  hosts:\n  - a\n')).toBeUndefined();
  });

  it('validates 5,000 hosts (the limit) in under 2 s of CPU, with aliases too', () => {
    // Measured on the 2-core CI machine under load: about 0.5-1.3 s of CPU for either inventory.
    const plain = cpuMs(() => validateInventory(inventoryOf(5000), 'inv.yaml'));
    expect(plain.value.issues).toEqual([]);
    expect(plain.value.inventory?.hosts).toHaveLength(5000);
    expect(plain.ms).toBeLessThan(2000);
    // yaml's Alias.resolve walks the whole document per alias: this took 157 s before.
    const aliased = inventoryOf(5000, ', ssh: *s').replace('hosts:', 'ssh: &s { user: root }\nhosts:');
    const withAliases = cpuMs(() => validateInventory(aliased, 'inv.yaml'));
    expect(withAliases.value.issues).toEqual([]);
    expect(withAliases.ms).toBeLessThan(2000);
  });
});

describe('nesting depth', () => {
  const head = [...HEAD, 'hosts:', '  - { name: m, address: 10.1.0.1, roles: [control-plane, etcd] }'].join('\n');

  it('refuses deep flow nesting before the parser overflows its stack', () => {
    const { value, ms } = cpuMs(() => messages(`${head}\nx: ${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}\n`));
    expect(value).toEqual([
      '9:67: nesting deeper than 64 levels (mappings, lists and brackets inside each other); an inventory needs about 5; look for an unclosed [ or { or runaway indentation here',
    ]);
    expect(ms).toBeLessThan(500);
  });

  it('refuses deep block nesting and compact "- - -" lists', () => {
    const block = Array.from({ length: 100 }, (_, i) => `${' '.repeat(i)}a${i}:`).join('\n');
    expect(messages(`${head}\n${block}\n`)[0]).toMatch(/^73:65: nesting deeper than 64 levels/);
    expect(messages(`${head}\nx:\n${'- '.repeat(200)}a\n`)[0]).toMatch(/^10:\d+: nesting deeper than 64 levels/);
  });

  it('ignores brackets and indentation inside quotes and comments', () => {
    expect(findDeepNesting(`a: "${'['.repeat(500)}"\nb: '${'{'.repeat(500)}'\n# ${'['.repeat(500)}\nc: x${'['.repeat(500)}\nd: b-${'['.repeat(500)}\n`, 64)).toBeUndefined();
    expect(findDeepNesting('a: [[[[b]]]]\n', 4)).toEqual({ line: 1, col: 7 });
  });
});

describe('alias expansion (billion laughs)', () => {
  it('refuses ten lines that expand to ten billion values, before walking them', () => {
    const lols = Array.from({ length: 10 }, (_, i) => `l${i}: &a${i} [${Array.from({ length: 10 }, () => (i === 0 ? 'lol' : `*a${i - 1}`)).join(', ')}]`);
    const text = [...HEAD, ...lols, 'hosts:', ...hostLines(3), ''].join('\n');
    const { value, ms } = cpuMs(() => messages(text));
    expect(value).toEqual([expect.stringMatching(/^1:1: the inventory's aliases \(\*name\) expand to more than 500,000 values/)]);
    expect(ms).toBeLessThan(200);
  });

  it('refuses a roles list that 1,499 hosts alias (1.5 million values)', () => {
    // The first host anchors a 1,000-entry roles list; 1,499 others alias it: 1.5 million values.
    const roles = `&r [control-plane, etcd${', worker'.repeat(998)}]`;
    const hosts = hostLines(1500).map((l, i) => l.replace(/roles: \[[^\]]*\]/, i === 0 ? `roles: ${roles}` : 'roles: *r'));
    const doc = [...HEAD, 'hosts:', ...hosts, ''].join('\n');
    const { value, ms } = cpuMs(() => validateInventory(doc, 'inv.yaml').issues.map((i) => i.message));
    expect(value).toEqual([
      "the inventory's aliases (*name) expand to more than 500,000 values (each alias repeats everything its &anchor holds, and aliases inside anchors multiply); write the values out or use fewer nested aliases",
    ]);
    expect(ms).toBeLessThan(1000);
  });
});
