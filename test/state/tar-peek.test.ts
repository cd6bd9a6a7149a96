/**
 * peekTarMembers against archives made by the system's GNU tar in each header format it writes:
 * gnu (long names as 'L' entries), posix (pax 'x' headers) and ustar (name split into prefix).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { peekTarMembers } from '../../src/state/tar-peek.js';

const deep = `kubernetes/${'d'.repeat(60)}/${'e'.repeat(60)}/version`;

function archive(format: string, prefixDot: boolean): string {
  const work = mkdtempSync(join(tmpdir(), 'kubesmith-tar-peek-'));
  mkdirSync(join(work, deep, '..'), { recursive: true });
  mkdirSync(join(work, 'kubernetes/server/bin'), { recursive: true });
  writeFileSync(join(work, 'kubernetes/server/bin/big'), Buffer.alloc(3 * 1024 * 1024 + 7, 1));
  writeFileSync(join(work, 'kubernetes/server/bin/kubelet'), Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46]), Buffer.alloc(5000, 2)]));
  writeFileSync(join(work, deep), 'v1.37.2\n');
  const out = join(work, `a-${format}.tar.gz`);
  execFileSync('tar', [`--format=${format}`, '-czf', out, '-C', work, prefixDot ? './kubernetes' : 'kubernetes']);
  return out;
}

describe('peekTarMembers', () => {
  for (const format of ['gnu', 'posix', 'ustar']) {
    it(`reads the head of wanted members past a 3 MiB one (${format}, "./" and plain names)`, async () => {
      for (const dot of [false, true]) {
        const got = await peekTarMembers(archive(format, dot), [deep, 'kubernetes/server/bin/kubelet', 'kubernetes/absent'], 8);
        expect(got.get(deep)?.toString()).toBe('v1.37.2\n');
        expect(got.get('kubernetes/server/bin/kubelet')).toEqual(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 2, 2, 2]));
        expect(got.has('kubernetes/absent')).toBe(false);
      }
    });
  }

  it('throws on a file that is not gzip', async () => {
    const f = join(mkdtempSync(join(tmpdir(), 'kubesmith-tar-peek-')), 'x.tar.gz');
    writeFileSync(f, 'not gzip at all');
    await expect(peekTarMembers(f, ['a'])).rejects.toThrow(/incorrect header check|unexpected end/i);
  });
});
