/**
 * #13 item 6, first line of defence: every inventory field whose value reaches a rendered file is
 * held to its own grammar, and a hostile value (quotes, line breaks, [section], %, $, #, ;, },
 * U+2028, NUL, spaces) is reported at its exact FILE:LINE:COL with what the field allows.
 * (The second line, escaping at the template boundary, is test/render/injection.test.ts.)
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { validateInventory } from '../../src/inventory/validate.js';
import { HOSTILE, yamlQuoted } from '../render/support/hostile.js';

const EXAMPLE = readFileSync(new URL('../../inventory.example.yaml', import.meta.url), 'utf8');

/** Values no field accepts: a character outside names, paths and references, or nothing at all. */
const BREAKOUT = HOSTILE.filter((h) => h.trim() === '' || /[^A-Za-z0-9._:/@-]/.test(h));

interface Field {
  readonly path: string;
  /** The example with the quoted value put in. */
  readonly put: (quoted: string) => string;
  /** The value tried for a hostile string (default: the string itself). */
  readonly make?: (h: string) => string;
  /** What the message says is allowed. */
  readonly allowed: RegExp;
}

const replace = (from: string, to: (q: string) => string) => (q: string) => {
  expect(EXAMPLE).toContain(from);
  return EXAMPLE.replace(from, () => to(q));
};

const FIELDS: readonly Field[] = [
  { path: 'containerd.sandboxImage', put: (q) => `${EXAMPLE}\ncontainerd:\n  sandboxImage: ${q}\n`, allowed: /is not an image reference \(\[registry\[:port\]\/\]repository\[:tag\]\[@sha256:digest\], e\.g\. registry\.k8s\.io\/pause:3\.9\)/ },
  { path: 'containerd.snapshotter', put: (q) => `${EXAMPLE}\ncontainerd:\n  snapshotter: ${q}\n`, allowed: /is not a containerd snapshotter name \(lowercase letters, digits/ },
  { path: 'paths.kubernetes', put: (q) => `${EXAMPLE}\npaths:\n  kubernetes: ${q}\n`, allowed: /paths\.kubernetes .*(must be an absolute path|must not contain whitespace|use letters, digits and "\._\+@-")/ },
  { path: 'paths.etcd', put: (q) => `${EXAMPLE}\npaths:\n  etcd: ${q}\n`, make: (h) => `/opt/etcd${h}`, allowed: /paths\.etcd .*(must not contain whitespace|use letters, digits and "\._\+@-")/ },
  { path: 'cluster.apiServer.vipInterface', put: replace('  apiServer:\n', (q) => `  apiServer:\n    vipInterface: ${q}\n`), allowed: /is not a network interface name \(1 to 15 letters, digits, "_", "\." or "-"/ },
  { path: 'cluster.name', put: replace('  name: demo ', (q) => `  name: ${q} `), allowed: /is not a DNS-1123 label \(lowercase letters, digits and "-"/ },
  { path: 'hosts[3].name', put: replace('  - name: node02\n', (q) => `  - name: ${q}\n`), allowed: /is not a (DNS-1123 label|valid node name) \(lowercase letters, digits and "-"/ },
  { path: 'cluster.clusterDomain', put: replace('  # clusterDomain: cluster.local ', (q) => `  clusterDomain: ${q} `), allowed: /is not a valid DNS domain \(lowercase labels separated by dots/ },
];

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufeff]/;

describe('field formats: hostile values are refused at their line and column', () => {
  it('has break-out values of every kind to try', () => {
    expect(BREAKOUT.length).toBeGreaterThan(20);
  });

  it.each(FIELDS)('$path', (field) => {
    for (const h of BREAKOUT.filter((x) => field.make === undefined || x !== '')) {
      const quoted = yamlQuoted(field.make ? field.make(h) : h);
      const text = field.put(quoted);
      const lines = text.split('\n');
      const line = lines.findIndex((l) => l.includes(quoted.slice(0, -1)));
      expect(line, 'the value went in').toBeGreaterThanOrEqual(0);
      const r = validateInventory(text, 'inventory.yaml');
      const where = `${field.path} = ${quoted}`;
      expect(r.inventory, where).toBeUndefined();
      const issue = r.issues.find((i) => i.severity === 'error' && i.path === field.path);
      expect(issue, `${where}: ${JSON.stringify(r.issues)}`).toBeDefined();
      expect({ line: issue!.line, col: issue!.col }, where).toEqual({ line: line + 1, col: lines[line]!.indexOf('"') + 1 });
      if (h.trim() === '') expect(issue!.message, where).toMatch(/is empty; give it a value/);
      else if (CONTROL.test(h)) expect(issue!.message, where).toMatch(/contains (a line break \(U\+[0-9A-F]{4}\)|a NUL byte \(U\+0000\)|the control character U\+[0-9A-F]{4}); inventory values are single-line text/);
      else expect(issue!.message, where).toMatch(field.allowed);
    }
  });

  it('accepts the ordinary values of each field', () => {
    const ok = `${EXAMPLE}\ncontainerd:\n  sandboxImage: localhost:5000/team/pause:3.10\n  snapshotter: fuse-overlayfs\npaths:\n  etcd: /srv/etcd-3.5\n  kubernetes: /opt/k8s_v1.31/\n`;
    const r = validateInventory(ok.replace('  apiServer:\n', '  apiServer:\n    ha: vip\n    vip: 192.168.80.88\n    vipInterface: eth0.100\n').replace('  # - { name: lb01', '  - { name: lb01').replace('  # - { name: lb02', '  - { name: lb02'), 'inventory.yaml');
    expect(r.issues).toEqual([]);
    expect(r.inventory?.containerd.sandboxImage).toBe('localhost:5000/team/pause:3.10');
    expect(r.inventory?.cluster.apiServer.vipInterface).toBe('eth0.100');
  });

  it('refuses "/" and ".." segments in paths (binaries would land in /bin or elsewhere)', () => {
    for (const [p, msg] of [['/', /must be a directory below \//], ['/opt/../etc', /must not contain "\." or "\.\." segments/]] as const) {
      const r = validateInventory(`${EXAMPLE}\npaths:\n  kubernetes: ${p}\n`, 'inventory.yaml');
      expect(r.issues.find((i) => i.path === 'paths.kubernetes')?.message).toMatch(msg);
    }
  });
});
