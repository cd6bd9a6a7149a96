/**
 * Prepares one test host's overlay root before boot (see /work/shared/reference/test-hosts.md):
 * identity (hostname, machine-id, fresh SSH host keys), access (root's and the optional sudo
 * user's authorized_keys), a static address on host0, and which of the machine's services it runs.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runOk } from './test-hosts-shell.js';

/** What the root needs to know about its host and its peers. */
export interface RootSpec {
  readonly root: string;
  readonly name: string;
  readonly ip: string;
  readonly prefixLength: number;
  readonly gateway: string;
  readonly peers: readonly { readonly name: string; readonly ip: string }[];
  readonly authorizedKey: string;
  readonly user?: string;
}

/** kubesmith installs these itself: disable (not mask), or the mask would shadow its unit. */
const DISABLE = [
  'etc/systemd/system/multi-user.target.wants/etcd.service',
  'etc/systemd/system/multi-user.target.wants/containerd.service',
  'etc/systemd/system/etcd2.service',
];
/** Unrelated services and timers of the machine that a test host must not run. */
const MASK = [
  'postgresql.service',
  'postgresql@.service',
  'redis-server.service',
  'apt-daily.timer',
  'apt-daily-upgrade.timer',
  'dpkg-db-backup.timer',
  'e2scrub_all.timer',
  'e2scrub_reap.service',
  'fstrim.timer',
  'man-db.timer',
  'systemd-timesyncd.service',
];

/** Writes the host's identity and configuration; returns its public host keys ("type base64"). */
export async function prepareRoot(spec: RootSpec): Promise<string[]> {
  const r = (p: string): string => join(spec.root, p);
  writeFileSync(r('etc/hostname'), `${spec.name}\n`);
  writeFileSync(r('etc/machine-id'), `${randomBytes(16).toString('hex')}\n`);
  const hostsLines = spec.peers.map((p) => `${p.ip}\t${p.name}`);
  writeFileSync(r('etc/hosts'), `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost\n${hostsLines.join('\n')}\n`);
  // Offline hosts: the machine's resolver is unreachable from the bridge and every lookup of a
  // name (glibc asks for AAAA too) would wait for its timeout. No nameserver fails at once.
  rmSync(r('etc/resolv.conf'), { force: true });
  writeFileSync(r('etc/resolv.conf'), '# kubesmith test host: offline; names come from /etc/hosts\n');

  for (const f of readdirSync(r('etc/ssh'))) if (f.startsWith('ssh_host_')) rmSync(r(`etc/ssh/${f}`));
  await runOk('ssh-keygen', ['-A', '-f', spec.root]);
  const hostKeys = readdirSync(r('etc/ssh'))
    .filter((f) => /^ssh_host_.*_key\.pub$/.test(f))
    .map((f) => readFileSync(r(`etc/ssh/${f}`), 'utf8').trim().split(/\s+/).slice(0, 2).join(' '));

  authorize(r('root/.ssh'), spec.authorizedKey);
  stockShellFiles(spec.root);
  for (const p of DISABLE) rmSync(r(p), { force: true });
  for (const unit of MASK) {
    rmSync(r(`etc/systemd/system/${unit}`), { force: true });
    symlinkSync('/dev/null', r(`etc/systemd/system/${unit}`));
  }
  writeNetworkUnit(spec);
  if (spec.user !== undefined) await addSudoUser(spec, spec.user);
  return hostKeys;
}

/**
 * root gets Debian's stock ~/.bashrc and ~/.profile. The overlay's lower layer is this machine,
 * whose root .bashrc runs `pyenv init` (about 100 forks); bash sources ~/.bashrc for every SSH
 * command, so each command on a test host cost about 95 ms more than on a fresh server, for
 * kubesmith, scp and Ansible alike. A node of a real cluster has no pyenv in root's shell.
 */
function stockShellFiles(root: string): void {
  for (const f of ['.bashrc', '.profile']) writeFileSync(join(root, 'root', f), readFileSync(join(root, 'etc/skel', f)));
}

function authorize(sshDir: string, key: string): void {
  mkdirSync(sshDir, { recursive: true, mode: 0o700 });
  chmodSync(sshDir, 0o700);
  writeFileSync(join(sshDir, 'authorized_keys'), `${key.trim()}\n`, { mode: 0o600 });
}

/** A oneshot unit giving host0 its static address before sshd starts. */
function writeNetworkUnit(spec: RootSpec): void {
  const unit = 'kubesmith-test-net.service';
  writeFileSync(
    join(spec.root, 'etc/systemd/system', unit),
    [
      '[Unit]',
      'Description=Static address of this kubesmith test host',
      'Before=network.target ssh.service',
      'DefaultDependencies=no',
      'After=systemd-udevd.service',
      '[Service]',
      'Type=oneshot',
      'RemainAfterExit=yes',
      `ExecStart=/bin/sh -c 'ip addr add ${spec.ip}/${spec.prefixLength} dev host0; ip link set host0 up; ip route add default via ${spec.gateway}'`,
      '[Install]',
      'WantedBy=multi-user.target',
      '',
    ].join('\n'),
  );
  const link = join(spec.root, 'etc/systemd/system/multi-user.target.wants', unit);
  rmSync(link, { force: true });
  symlinkSync(`../${unit}`, link);
}

/** A non-root login with password-less sudo (the "deploy user" of real clusters). */
async function addSudoUser(spec: RootSpec, user: string): Promise<void> {
  await runOk('chroot', [spec.root, 'useradd', '--create-home', '--shell', '/bin/bash', user]);
  const home = join(spec.root, 'home', user);
  authorize(join(home, '.ssh'), spec.authorizedKey);
  await runOk('chroot', [spec.root, 'chown', '-R', `${user}:${user}`, `/home/${user}/.ssh`]);
  writeFileSync(join(spec.root, 'etc/sudoers.d', user), `${user} ALL=(ALL) NOPASSWD:ALL\n`, { mode: 0o440 });
}
