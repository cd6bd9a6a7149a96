/**
 * Safety suite, injection (#13 item 6): an inventory value that would break out of its rendered file
 * (the issue's `pause:3.9"\n[plugins.evil]`, a `%` or `$` for systemd, a `;` for keepalived, a
 * quote, NUL or U+2028) stops every command that reads the inventory with exit 2 and
 * `inventory.yaml:LINE:COL: <what the field allows>`, before anything is written: the scratch
 * directory (inventory, state, CA keys) is byte-for-byte unchanged and no render output appears.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { scratchCluster } from '../render/support/cli.js';
import { yamlQuoted } from '../render/support/hostile.js';
import { runCliCaptured } from '../support/cli-run.js';
import { snapshotTree, treeChanges } from '../support/tree-snapshot.js';

const EXAMPLE = readFileSync(new URL('../../inventory.example.yaml', import.meta.url), 'utf8');

interface Case {
  readonly what: string;
  readonly text: string;
  readonly message: RegExp;
}

const appended = (section: string, key: string, value: string): string => `${EXAMPLE}\n${section}:\n  ${key}: ${yamlQuoted(value)}\n`;

const CASES: readonly Case[] = [
  { what: 'the issue: sandboxImage injecting a TOML section', text: appended('containerd', 'sandboxImage', 'registry.k8s.io/pause:3.9"\n[plugins.evil]\n  x = 1'), message: /containerd\.sandboxImage contains a line break \(U\+000A\)/ },
  { what: 'sandboxImage with a quote', text: appended('containerd', 'sandboxImage', 'pause:3.9" # x'), message: /sandboxImage "pause:3\.9" # x" is not an image reference/ },
  { what: 'snapshotter with TOML syntax', text: appended('containerd', 'snapshotter', 'native" x = "'), message: /is not a containerd snapshotter name/ },
  { what: 'paths.kubernetes with a systemd specifier', text: appended('paths', 'kubernetes', '/opt/%n'), message: /paths\.kubernetes "\/opt\/%n" contains "%"/ },
  { what: 'paths.etcd with a $VARIABLE', text: appended('paths', 'etcd', '/opt/${HOME}'), message: /paths\.etcd "\/opt\/\$\{HOME\}" contains "\$" "\{" "\}"/ },
  { what: 'paths.etcd with a NUL byte', text: appended('paths', 'etcd', '/opt/etcd\u0000x'), message: /paths\.etcd contains a NUL byte \(U\+0000\)/ },
  { what: 'vipInterface closing a keepalived block', text: EXAMPLE.replace('  apiServer:\n', () => `  apiServer:\n    vipInterface: ${yamlQuoted('eth0 }; x')}\n`), message: /vipInterface "eth0 \}; x" is not a network interface name/ },
  { what: 'host name with U+2028', text: EXAMPLE.replace('  - name: node02\n', () => `  - name: ${yamlQuoted('node02\u2028x')}\n`), message: /hosts\[3\]\.name contains a line break \(U\+2028\)/ },
];

const COMMANDS: readonly (readonly string[])[] = [
  ['validate', '-i', 'inventory.yaml'],
  ['plan', '-i', 'inventory.yaml'],
  ['render', '-i', 'inventory.yaml', '--out', 'out'],
  ['pki', 'generate', '-i', 'inventory.yaml'],
  ['pki', 'check', '-i', 'inventory.yaml'],
  ['apply', '-i', 'inventory.yaml', '--dry-run'],
];

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('safety: hostile inventory values never reach a file', () => {
  it.each(CASES)('$what: every command exits 2 naming the line, and nothing changes', async (c) => {
    const dir = await scratchCluster();
    dirs.push(dir);
    writeFileSync(join(dir, 'inventory.yaml'), c.text);
    const line = c.text.split('\n').findIndex((l) => /sandboxImage: "|snapshotter: "|kubernetes: "|etcd: "|vipInterface: "|name: "/.test(l)) + 1;
    const before = snapshotTree(dir);
    for (const argv of COMMANDS) {
      const r = await runCliCaptured(argv, { cwd: dir, env: { NO_COLOR: '1' } });
      const where = `${argv.join(' ')}: ${r.err}`;
      expect(r.code, where).toBe(2);
      expect(r.err, where).toMatch(new RegExp(`inventory\\.yaml:${line}:\\d+: `));
      expect(r.err, where).toMatch(c.message);
      expect(treeChanges(before, snapshotTree(dir)), where).toEqual([]);
    }
  });
});
