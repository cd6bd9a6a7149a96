/**
 * known_hosts parsing and matching against files written by OpenSSH's own tools: keys from
 * ssh-keygen, hashed entries from `ssh-keygen -H`, fingerprints compared with `ssh-keygen -lf`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  blobType,
  fingerprint,
  judgeHostKey,
  knownHostName,
  knownHostsLine,
  indexKnownHosts,
  knownKeyTypes,
  matchesHost,
  parseKnownHosts,
} from '../../../src/deploy/ssh/known-hosts.js';

const dir = mkdtempSync(join(tmpdir(), 'ks-known-hosts-'));
interface Key { readonly line: string; readonly blob: Buffer; readonly type: string; readonly file: string }
function newKey(name: string, type: 'ed25519' | 'ecdsa' | 'rsa'): Key {
  const file = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', type, ...(type === 'rsa' ? ['-b', '2048'] : []), '-N', '', '-f', file]);
  const [t, b64] = readFileSync(`${file}.pub`, 'utf8').trim().split(' ') as [string, string];
  return { line: `${t} ${b64}`, blob: Buffer.from(b64, 'base64'), type: t, file };
}

let ed: Key, ed2: Key, ec: Key, rsa: Key;
beforeAll(() => {
  ed = newKey('ed', 'ed25519');
  ed2 = newKey('ed2', 'ed25519');
  ec = newKey('ec', 'ecdsa');
  rsa = newKey('rsa', 'rsa');
});

describe('known_hosts', () => {
  it('computes fingerprints exactly like ssh-keygen -lf', () => {
    for (const k of [ed, ec, rsa]) {
      const expected = execFileSync('ssh-keygen', ['-lf', `${k.file}.pub`], { encoding: 'utf8' }).split(' ')[1];
      expect(fingerprint(k.blob)).toBe(expected);
      expect(blobType(k.blob)).toBe(k.type);
    }
  });

  it('matches plain, [host]:port, wildcard and negated patterns', () => {
    const text = [
      '# comment',
      '',
      `10.0.0.1,node1 ${ed.line}`,
      `[10.0.0.2]:2222 ${ec.line}`,
      `*.example.com,!bad.example.com ${rsa.line}`,
      `10.0.0.? ${ed2.line} comment here`,
      'garbage line',
    ].join('\n');
    const e = parseKnownHosts(text);
    expect(e.map((x) => x.line)).toEqual([3, 4, 5, 6]);
    expect(judgeHostKey(e, knownHostName('10.0.0.1', 22), ed.blob).kind).toBe('known');
    expect(judgeHostKey(e, knownHostName('NODE1', 22), ed.blob).kind).toBe('known');
    expect(judgeHostKey(e, knownHostName('10.0.0.2', 2222), ec.blob).kind).toBe('known');
    expect(judgeHostKey(e, knownHostName('10.0.0.2', 22), ec.blob).kind).toBe('other-type'); // 10.0.0.? has ed25519
    expect(judgeHostKey(e, knownHostName('a.example.com', 22), rsa.blob).kind).toBe('known');
    expect(judgeHostKey(e, knownHostName('bad.example.com', 22), rsa.blob).kind).toBe('unknown');
    expect(judgeHostKey(e, knownHostName('10.0.0.200', 22), ed.blob).kind).toBe('unknown');
    expect(knownKeyTypes(e, '10.0.0.1')).toEqual(['ssh-ed25519']);
  });

  it('reports a changed key with the line of the old one', () => {
    const e = parseKnownHosts(`other ${ec.line}\n10.0.0.1 ${ed.line}\n`);
    const v = judgeHostKey(e, '10.0.0.1', ed2.blob);
    expect(v.kind).toBe('changed');
    if (v.kind === 'changed') {
      expect(v.entry.line).toBe(2);
      expect(fingerprint(v.entry.key)).toBe(fingerprint(ed.blob));
    }
  });

  it('matches hashed entries written by ssh-keygen -H (port 22 and [host]:port)', () => {
    const file = join(dir, 'hashed');
    writeFileSync(file, `10.1.1.1 ${ed.line}\n[10.1.1.2]:2200 ${rsa.line}\n`);
    execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'ignore' });
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain('10.1.1.1');
    const e = parseKnownHosts(text);
    expect(e.every((x) => x.patterns.startsWith('|1|'))).toBe(true);
    expect(judgeHostKey(e, '10.1.1.1', ed.blob).kind).toBe('known');
    expect(judgeHostKey(e, '10.1.1.1', ed2.blob).kind).toBe('changed');
    expect(judgeHostKey(e, knownHostName('10.1.1.2', 2200), rsa.blob).kind).toBe('known');
    expect(judgeHostKey(e, '10.1.1.2', rsa.blob).kind).toBe('unknown');
  });

  it('rejects @revoked keys and ignores @cert-authority lines', () => {
    const e = parseKnownHosts(`@revoked * ${ed.line}\n10.0.0.1 ${ed.line}\n@cert-authority *.x ${ec.line}\n@bogus h ${rsa.line}\n`);
    expect(judgeHostKey(e, '10.0.0.1', ed.blob).kind).toBe('revoked');
    expect(judgeHostKey(e, 'a.x', ec.blob).kind).toBe('unknown');
    expect(e.map((x) => x.marker)).toEqual(['revoked', undefined, 'cert-authority']);
  });

  it('skips lines whose key type and blob disagree', () => {
    const [, b64] = ed.line.split(' ');
    expect(parseKnownHosts(`h ssh-rsa ${b64}\n`)).toEqual([]);
  });

  it('writes lines that ssh-keygen -F finds again', () => {
    const file = join(dir, 'written');
    writeFileSync(file, `${knownHostsLine(knownHostName('10.2.2.2', 2022), ec.blob)}\n`);
    const found = execFileSync('ssh-keygen', ['-F', '[10.2.2.2]:2022', '-f', file], { encoding: 'utf8' });
    expect(found).toContain(ec.line.split(' ')[1]);
  });
});

describe('indexKnownHosts', () => {
  it('finds exactly what a scan of every line finds, in file order, also after an append', () => {
    const hashed = execFileSync('sh', ['-c', `printf '%s\\n' "node7 ${ed2.line}" > "$0" && ssh-keygen -H -f "$0" >/dev/null 2>&1 && cat "$0"`, join(dir, 'hashed-index')], { encoding: 'utf8' }).trim();
    const text = [
      `10.0.0.1,Node1 ${ed.line}`,
      `*.example.com,!bad.example.com ${rsa.line}`,
      `@revoked 10.0.0.9 ${ec.line}`,
      `node1 ${ec.line}`,
      hashed,
      `@cert-authority *.example.com ${ed2.line}`,
      `[10.0.0.2]:2222,10.0.0.? ${ed2.line}`,
    ].join('\n');
    const entries = parseKnownHosts(text);
    const index = indexKnownHosts(entries);
    const names = ['10.0.0.1', 'NODE1', 'node1', 'a.example.com', 'bad.example.com', 'node7', '[10.0.0.2]:2222', '10.0.0.5', '10.0.0.10', 'nobody'];
    for (const n of names) expect(index.matching(n), n).toEqual(entries.filter((e) => matchesHost(e, n)));
    expect(index.revoked(ec.blob)?.line).toBe(3);
    expect(index.revoked(ed.blob)).toBeUndefined();
    const [added] = parseKnownHosts(`nobody ${ed.line}`);
    index.add({ ...added!, line: index.lines + 1 });
    expect(index.matching('nobody').map((e) => e.line)).toEqual([8]);
    expect(judgeHostKey(index, 'nobody', ed.blob).kind).toBe('known');
  });
});
