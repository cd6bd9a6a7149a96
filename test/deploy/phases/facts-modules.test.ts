/**
 * gather-facts' kernel module section (MODULES_SH) with this machine's /bin/sh and /sys/module, and
 * `uname`, `modinfo` and `grep` wrapped on PATH (this machine has no /lib/modules): a module counts
 * when it is loaded, when modinfo finds its file, or when modules.builtin lists it, exactly as the
 * per-module loop did, and all names cost one modinfo and one grep.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MODULES_SH, parseFacts } from '../../../src/deploy/phases/_facts.js';

const which = (cmd: string): string => execFileSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).trim();

describe('gather-facts: kernel modules', () => {
  it('reports loaded, modprobe-able and built-in modules, with one modinfo and one grep for all', () => {
    const loaded = ['ext4', 'fuse'].filter((m) => existsSync(`/sys/module/${m}`));
    expect(loaded.length).toBeGreaterThan(0);
    const dir = mkdtempSync(join(tmpdir(), 'ks-kmods-'));
    const log = join(dir, 'log');
    const builtin = join(dir, 'modules.builtin');
    writeFileSync(builtin, 'kernel/net/netfilter/nf_tables.ko\nkernel/net/netfilter/nf_tables_extra.ko\nkernel/fs/overlayfs/overlay2.ko\n');
    const fake = (name: string, body: string): void => writeFileSync(join(dir, name), `#!/bin/sh\necho "${name} $*" >> '${log}'\n${body}\n`, { mode: 0o755 });
    fake('uname', 'echo 9.9.9-test');
    // kmod's modinfo: a line per module it finds (a file, or "(builtin)"), an error for the others, exit 1 if any was missing.
    fake(
      'modinfo',
      'rc=0; shift; for m; do case $m in ip_vs) echo /lib/modules/9.9.9-test/kernel/net/netfilter/ipvs/ip_vs.ko.zst ;; br_netfilter) echo /lib/modules/9.9.9-test/kernel/net/bridge/br_netfilter.ko ;; ip_vs_sh) echo "(builtin)" ;; *) echo "modinfo: ERROR: Module $m not found." >&2; rc=1 ;; esac; done; exit $rc',
    );
    // grep on the fixture instead of /lib/modules/9.9.9-test/modules.builtin (the file it was asked for is logged).
    fake('grep', `[ "$3" = /lib/modules/9.9.9-test/modules.builtin ] || exit 2; exec ${which('grep')} "$1" "$2" '${builtin}'`);
    const names = [...loaded, 'br_netfilter', 'ip_vs', 'ip_vs_sh', 'nf_tables', 'overlay', 'ip_vs_rr', 'nf_conntrack'];
    const inSys = names.filter((m) => existsSync(`/sys/module/${m}`));
    const out = execFileSync('sh', ['-c', `echo @modules; ${MODULES_SH} ${names.join(' ')}`], { encoding: 'utf8', env: { ...process.env, PATH: `${dir}:${process.env.PATH ?? ''}` } });
    // Built-in modules are found through modules.builtin (modinfo's "(builtin)" line names no file);
    // ip_vs_sh, said built in but not listed, and ip_vs_rr, unknown, count only if this machine loaded them.
    expect([...(parseFacts(out, Date.now()).modules ?? [])].sort()).toEqual([...new Set([...inSys, 'br_netfilter', 'ip_vs', 'nf_tables'])].sort());
    expect(inSys).not.toContain('ip_vs_rr');
    const calls = readFileSync(log, 'utf8').trim().split('\n').map((l) => l.split(' ')[0]);
    expect(calls.sort()).toEqual(['grep', 'modinfo', 'uname']);
  });
});
