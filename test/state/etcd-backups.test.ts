/**
 * The operator-side files of etcd backups on the real file system, with the real tar and openssl:
 * the PKI tar (0600, plain or encrypted with the operator's passphrase file, decryptable with
 * plain openssl), the restore's refusal of snapshots without or not matching their .sha256, and
 * retention removal refusing anything but plain names.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { removeBackupFiles, verifySnapshotFile, writePkiTar } from '../../src/state/etcd-backups.js';

function stateDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ks-backup-'));
  mkdirSync(join(dir, 'state', 'pki'), { recursive: true, mode: 0o700 });
  writeFileSync(join(dir, 'state', 'pki', 'etcd-ca.key'), 'KEY', { mode: 0o600 });
  writeFileSync(join(dir, 'state', 'pki', 'etcd-ca.crt'), 'CERT');
  return dir;
}

describe('PKI tar beside a snapshot', () => {
  it('plain: 0600, holds pki/, no temp file left', () => {
    const dir = stateDir();
    const dest = join(dir, 'c-20260101T000000Z-rev1-pki.tar');
    writePkiTar(join(dir, 'state'), dest);
    expect(statSync(dest).mode & 0o777).toBe(0o600);
    expect(execFileSync('tar', ['-tf', dest], { encoding: 'utf8' }).split('\n').filter(Boolean).sort()).toEqual(['pki/', 'pki/etcd-ca.crt', 'pki/etcd-ca.key']);
    expect(readdirSync(dir).filter((n) => n.includes('.part-'))).toEqual([]);
  });
  it('encrypted with the operator\'s passphrase file: openssl decrypts it back to the tar; no plain tar is left', () => {
    const dir = stateDir();
    const key = join(dir, 'passphrase');
    writeFileSync(key, 'correct horse battery staple\n', { mode: 0o600 });
    const dest = join(dir, 'c-20260101T000000Z-rev1-pki.tar.enc');
    writePkiTar(join(dir, 'state'), dest, key);
    expect(statSync(dest).mode & 0o777).toBe(0o600);
    expect(() => execFileSync('tar', ['-tf', dest], { stdio: 'pipe' })).toThrow();
    execFileSync('openssl', ['enc', '-d', '-aes-256-cbc', '-pbkdf2', '-iter', '200000', '-in', dest, '-out', join(dir, 'back.tar'), '-pass', `file:${key}`]);
    expect(execFileSync('tar', ['-tf', join(dir, 'back.tar')], { encoding: 'utf8' })).toMatch(/pki\/etcd-ca\.key/);
    expect(readdirSync(dir).filter((n) => n.includes('.part-'))).toEqual([]);
  });
});

describe('the snapshot a restore accepts', () => {
  const snap = (dir: string, body: string, sum?: string): string => {
    const p = join(dir, 'c-20260101T000000Z-rev1.db');
    writeFileSync(p, body);
    if (sum !== undefined) writeFileSync(`${p}.sha256`, `${sum}  c-20260101T000000Z-rev1.db\n`);
    return p;
  };
  const sha = (s: string): string => createHash('sha256').update(s).digest('hex');
  it('matches its .sha256', async () => {
    const p = snap(mkdtempSync(join(tmpdir(), 'ks-snap-')), 'bolt', sha('bolt'));
    expect(await verifySnapshotFile(p)).toEqual({ path: p, sha256: sha('bolt'), size: 4 });
  });
  it('refused without a .sha256, naming how to make one', async () => {
    await expect(verifySnapshotFile(snap(mkdtempSync(join(tmpdir(), 'ks-snap-')), 'bolt'))).rejects.toThrow(/no c-20260101T000000Z-rev1\.db\.sha256 beside it/);
  });
  it('refused when the content changed', async () => {
    await expect(verifySnapshotFile(snap(mkdtempSync(join(tmpdir(), 'ks-snap-')), 'bolt!', sha('bolt')))).rejects.toThrow(/does not match/);
  });
});

describe('retention removal', () => {
  it('removes plain names only', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ks-keep-'));
    writeFileSync(join(dir, 'a.db'), '');
    expect(() => removeBackupFiles(dir, ['../x'])).toThrow(/not a plain file name/);
    removeBackupFiles(dir, ['a.db']);
    expect(existsSync(join(dir, 'a.db'))).toBe(false);
  });
});
