/**
 * Host key policy decisions and the accept-new append, with real keys from ssh-keygen
 * (the handshake side is proven against real sshd in test/hosts/ssh-connection.test.ts).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hostKeyCheck } from '../../../src/deploy/ssh/host-key.js';
import { expandHome } from '../../../src/deploy/ssh/paths.js';

const dir = mkdtempSync(join(tmpdir(), 'ks-hostkey-'));
function key(name: string, type: string): { line: string; blob: Buffer } {
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-f', join(dir, name)]);
  const [t, b64] = readFileSync(join(dir, `${name}.pub`), 'utf8').trim().split(' ') as [string, string];
  return { line: `${t} ${b64}`, blob: Buffer.from(b64, 'base64') };
}
const ed = key('ed', 'ed25519');
const ed2 = key('ed2', 'ed25519');
const ec = key('ec', 'ecdsa');
const target = (file: string, policy: 'strict' | 'accept-new' = 'strict', port = 22) =>
  ({ label: 'node1', address: '10.0.0.5', port, knownHostsFile: file, policy }) as const;

describe('hostKeyCheck', () => {
  it('accept-new appends once, after commit, to a file without a trailing newline; 0600; creates the directory', () => {
    const file = join(dir, 'new-dir', 'known_hosts');
    const c = hostKeyCheck(target(file, 'accept-new', 2222));
    expect(c.verify(ed.blob)).toBe(true);
    c.commit();
    expect(readFileSync(file, 'utf8')).toBe(`[10.0.0.5]:2222 ${ed.line}\n`);
    expect(statSync(file).mode & 0o777).toBe(0o600);

    const file2 = join(dir, 'no-newline');
    writeFileSync(file2, `other ${ec.line}`);
    const c2 = hostKeyCheck(target(file2, 'accept-new'));
    c2.verify(ed.blob);
    c2.commit();
    c2.commit();
    expect(readFileSync(file2, 'utf8')).toBe(`other ${ec.line}\n10.0.0.5 ${ed.line}\n`);
  });

  it('strict refuses unknown keys without touching the file', () => {
    const file = join(dir, 'empty');
    writeFileSync(file, '');
    const c = hostKeyCheck(target(file));
    expect(c.verify(ed.blob)).toBe(false);
    c.commit();
    expect(readFileSync(file, 'utf8')).toBe('');
    expect(c.failure()?.message).toMatch(/^node1: host key for 10\.0\.0\.5 is not in .*; verify the fingerprint \(SHA256:/);
    expect(c.failure()?.hint).toContain('ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub');
  });

  it('refuses a changed key under accept-new and a key of another type than the known one', () => {
    const file = join(dir, 'known');
    writeFileSync(file, `# c\n10.0.0.5 ${ed.line}\n`);
    const changed = hostKeyCheck(target(file, 'accept-new'));
    expect(changed.verify(ed2.blob)).toBe(false);
    expect(changed.failure()?.message).toContain(`CHANGED: ${file}:2`);
    const other = hostKeyCheck(target(file, 'accept-new'));
    expect(other.verify(ec.blob)).toBe(false);
    expect(other.failure()?.message).toContain('known in');
    expect(other.failure()?.retryable).toBe(false);
  });

  it('prefers the known key types in the key exchange', () => {
    const file = join(dir, 'rsa-known');
    writeFileSync(file, `10.0.0.5 ${ec.line}\n`);
    expect(hostKeyCheck(target(file)).algorithms[0]).toBe('ecdsa-sha2-nistp256');
    expect(hostKeyCheck(target(join(dir, 'absent'))).algorithms[0]).toBe('ssh-ed25519');
  });

  it('expands ~ like OpenSSH', () => {
    expect(expandHome('~/.ssh/known_hosts', '/home/op')).toBe('/home/op/.ssh/known_hosts');
    expect(expandHome('~', '/home/op')).toBe('/home/op');
    expect(expandHome('/abs/~x', '/home/op')).toBe('/abs/~x');
  });
});
