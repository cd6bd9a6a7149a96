/**
 * One known_hosts reading per run (KnownHostsFiles): checking every host of a large fleet reads the
 * file once, and a plain-name lookup does not scan every line (known-hosts.ts indexKnownHosts).
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hostKeyCheck } from '../../../src/deploy/ssh/host-key.js';
import { KnownHostsFiles } from '../../../src/deploy/ssh/known-hosts-files.js';

const dir = mkdtempSync(join(tmpdir(), 'ks-known-files-'));
const sshString = (b: Buffer): Buffer => {
  const n = Buffer.alloc(4);
  n.writeUInt32BE(b.length);
  return Buffer.concat([n, b]);
};
/** A real ssh-ed25519 public key blob. */
const edBlob = (): Buffer => Buffer.concat([sshString(Buffer.from('ssh-ed25519')), sshString(generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }).subarray(-32))]);
const target = (file: string, address: string, policy: 'strict' | 'accept-new' = 'strict') => ({ label: address, address, port: 22, knownHostsFile: file, policy }) as const;

describe('KnownHostsFiles', () => {
  it('checks 2,000 hosts against a 2,000-host file with one read of it', () => {
    const hosts = Array.from({ length: 2000 }, (_, i) => ({ ip: `10.1.${Math.floor(i / 250)}.${(i % 250) + 1}`, blob: edBlob() }));
    const file = join(dir, 'fleet');
    // as ssh-keyscan leaves it: every host with an ed25519 and another key, plus a wildcard line
    const other = Buffer.concat([sshString(Buffer.from('ecdsa-sha2-nistp256')), sshString(Buffer.from('nistp256')), sshString(Buffer.alloc(65, 4))]).toString('base64');
    writeFileSync(file, `${hosts.map((h) => `${h.ip} ecdsa-sha2-nistp256 ${other}\n${h.ip} ssh-ed25519 ${h.blob.toString('base64')}`).join('\n')}\n10.9.* ssh-ed25519 ${edBlob().toString('base64')}\n`);
    let reads = 0;
    const files = new KnownHostsFiles((f) => (reads++, readFileSync(f, 'utf8')));
    for (const h of hosts) {
      const check = hostKeyCheck(target(file, h.ip), files);
      expect(check.algorithms[0]).toBe('ecdsa-sha2-nistp256'); // the file's order
      expect(check.verify(h.blob)).toBe(true);
    }
    expect(reads).toBe(1);
    expect(files.reads).toBe(1);
    const wrong = hostKeyCheck(target(file, hosts[7]!.ip), files);
    expect(wrong.verify(hosts[8]!.blob)).toBe(false);
    expect(wrong.failure()?.message).toContain(`CHANGED: ${file}:16`);
  });

  it('accept-new appends once per run for the same host, after a file without a trailing newline', () => {
    const file = join(dir, 'no-newline');
    const known = edBlob();
    writeFileSync(file, `10.0.0.1 ssh-ed25519 ${known.toString('base64')}`);
    const files = new KnownHostsFiles();
    const fresh = edBlob();
    for (let i = 0; i < 2; i++) {
      const c = hostKeyCheck(target(file, '10.0.0.2', 'accept-new'), files);
      expect(c.verify(fresh)).toBe(true);
      c.commit();
    }
    expect(readFileSync(file, 'utf8')).toBe(`10.0.0.1 ssh-ed25519 ${known.toString('base64')}\n10.0.0.2 ssh-ed25519 ${fresh.toString('base64')}\n`);
    // the run knows the appended key: another key for that host is now a change
    const again = hostKeyCheck(target(file, '10.0.0.2', 'accept-new'), files);
    expect(again.verify(edBlob())).toBe(false);
    expect(again.failure()?.message).toContain(`CHANGED: ${file}:2`);
    expect(files.reads).toBe(1);
  });
});
