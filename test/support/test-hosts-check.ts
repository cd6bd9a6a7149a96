/**
 * Can this machine boot test hosts? Tests call canBootHosts() and skip with its reason when not
 * (a laptop without root); CI runs as root and must boot them.
 */
import { existsSync, mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasV1Cgroups } from './test-hosts-cgroups.js';
import { runSync } from './test-hosts-shell.js';

let cached: { ok: boolean; reason?: string } | undefined;

/** Checks root, the tools, cgroup layout and that an overlay mount works here. Cached. */
export function canBootHosts(): { ok: boolean; reason?: string } {
  cached ??= check();
  return cached;
}

function check(): { ok: boolean; reason?: string } {
  if (process.platform !== 'linux') return { ok: false, reason: 'test hosts need Linux (systemd-nspawn)' };
  if (process.getuid?.() !== 0) return { ok: false, reason: 'test hosts need root (systemd-nspawn, mount, ip link)' };
  for (const tool of ['systemd-nspawn', 'ssh', 'ssh-keygen', 'ip', 'mount', 'chroot']) {
    if (runSync('sh', ['-c', `command -v ${tool}`]).code !== 0) {
      return { ok: false, reason: `${tool} not found (apt-get install -y systemd-container openssh-client iproute2)` };
    }
  }
  if (!existsSync('/usr/sbin/sshd')) return { ok: false, reason: 'sshd not installed (apt-get install -y openssh-server)' };
  if (!hasV1Cgroups()) return { ok: false, reason: 'the harness supports cgroup v1/hybrid machines only (as verified in test-hosts.md)' };
  const dir = mkdtempSync(join(tmpdir(), 'ks-overlay-check-'));
  try {
    for (const d of ['lower', 'upper', 'work', 'merged']) mkdirSync(join(dir, d));
    const m = runSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${dir}/lower,upperdir=${dir}/upper,workdir=${dir}/work`, `${dir}/merged`]);
    if (m.code !== 0) return { ok: false, reason: `overlay mount does not work here: ${m.stderr.trim()}` };
    runSync('umount', [`${dir}/merged`]);
    return { ok: true };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
