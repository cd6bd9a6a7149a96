/**
 * The HostConnection contract: the behaviours the deployer relies on, as one suite run against
 * FakeHost (test/deploy/fake-host-contract.test.ts) and against the real ssh2 connection on an
 * nspawn test host (the SSH helper calls describeHostConnectionContract with its factory).
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostConnection } from '../../src/deploy/ssh/connection.js';

/** What a contract run needs: a connection and an existing, empty, writable directory on it. */
export interface ContractTarget {
  readonly conn: HostConnection;
  readonly dir: string;
  readonly cleanup?: () => Promise<void>;
}

const sha = (s: string | Buffer): string => createHash('sha256').update(s).digest('hex');

/** Registers the contract tests for one implementation. */
export function describeHostConnectionContract(label: string, open: () => Promise<ContractTarget>): void {
  describe(`HostConnection contract: ${label}`, () => {
    let t: ContractTarget;
    beforeAll(async () => {
      t = await open();
    });
    afterAll(async () => {
      await t.cleanup?.();
      await t.conn.close();
    });

    it('probe returns non-zero exits instead of throwing', async () => {
      const r = await t.conn.probe(['false']);
      expect(r.exitCode).not.toBe(0);
      expect((await t.conn.probe(['true'])).exitCode).toBe(0);
    });

    it('passes argv through quoting unchanged', async () => {
      const tricky = `a b'c"d$HOME;\`x\` \\ *`;
      const r = await t.conn.probe(['printf', '%s', tricky]);
      expect(r).toMatchObject({ exitCode: 0, stdout: tricky });
    });

    it('writes atomically with mode and owner, and stat reports them', async () => {
      const path = `${t.dir}/one.conf`;
      await t.conn.writeFile(path, Buffer.from('hello\n'), { mode: 0o600, owner: 'root:root', sha256: sha('hello\n') });
      const st = await t.conn.stat([path, `${t.dir}/missing`]);
      expect(st.get(path)).toEqual({ sha256: sha('hello\n'), mode: 0o600, owner: 'root:root', size: 6 });
      expect(st.has(`${t.dir}/missing`)).toBe(false);
      expect((await t.conn.probe(['cat', path])).stdout).toBe('hello\n');
    });

    it('streams a Readable and replaces the previous content', async () => {
      const path = `${t.dir}/one.conf`;
      const big = Buffer.alloc(3 * 1024 * 1024 + 7, 'k');
      await t.conn.writeFile(path, Readable.from([big.subarray(0, 1000), big.subarray(1000)]), { mode: 0o755, owner: 'root:root', sha256: sha(big) });
      const st = (await t.conn.stat([path])).get(path);
      expect(st).toEqual({ sha256: sha(big), mode: 0o755, owner: 'root:root', size: big.length });
    });

    it('refuses content whose sha256 differs and leaves the target untouched', async () => {
      const path = `${t.dir}/two.conf`;
      await t.conn.writeFile(path, Buffer.from('v1'), { mode: 0o644, owner: 'root:root', sha256: sha('v1') });
      await expect(t.conn.writeFile(path, Buffer.from('v2'), { mode: 0o644, owner: 'root:root', sha256: sha('other') })).rejects.toThrow(/sha256|checksum/i);
      expect((await t.conn.stat([path])).get(path)?.sha256).toBe(sha('v1'));
      // the next write cleans up whatever the failed one left
      await t.conn.writeFile(path, Buffer.from('v3'), { mode: 0o644, owner: 'root:root', sha256: sha('v3') });
      const ls = await t.conn.probe(['ls', '-A', t.dir]);
      expect(ls.stdout.split('\n').filter((n) => n.includes('kubesmith-tmp'))).toEqual([]);
    });

    it('creates missing parent directories', async () => {
      const path = `${t.dir}/new/sub/three.conf`;
      await t.conn.writeFile(path, Buffer.from('3'), { mode: 0o644, owner: 'root:root', sha256: sha('3') });
      expect((await t.conn.stat([path])).get(path)?.size).toBe(1);
    });

    it('exec runs mutating commands and reports their exit code', async () => {
      const path = `${t.dir}/two.conf`;
      expect((await t.conn.exec(['rm', '-f', path])).exitCode).toBe(0);
      expect((await t.conn.probe(['test', '-e', path])).exitCode).not.toBe(0);
    });

    it('honours an aborted signal', async () => {
      const ac = new AbortController();
      ac.abort(new Error('stop'));
      await expect(t.conn.probe(['true'], { signal: ac.signal })).rejects.toThrow();
    });
  });
}
