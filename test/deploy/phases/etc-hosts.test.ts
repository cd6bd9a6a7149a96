/**
 * kubesmith's /etc/hosts block: gather-facts reads the file without it (awk on the host, run here
 * with a real sh and awk), and prepare-hosts renders from that exactly what it rendered from the
 * whole file; the block is built once per plan.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { etcHostsWith, hostsBlock, readWithoutBlock, withBlock } from '../../../src/deploy/phases/_etc-hosts.js';
import { FACTS_SCRIPT } from '../../../src/deploy/phases/_facts.js';
import type { ClusterPlan } from '../../../src/plan/types.js';

const dir = mkdtempSync(join(tmpdir(), 'ks-etc-hosts-'));
const B = '# BEGIN kubesmith hosts';
const E = '# END kubesmith hosts';
const CASES: Record<string, string> = {
  'no block': '127.0.0.1 localhost\n127.0.1.1 node7\n',
  'block at the end': `127.0.0.1 localhost\n${B}\n10.0.0.1 a\n10.0.0.2 b\n${E}\n`,
  'block in the middle': `127.0.0.1 localhost\n${B}\n10.0.0.1 a\n${E}\n10.9.9.9 mine\n`,
  'BEGIN without END': `127.0.0.1 localhost\n${B}\n10.0.0.1 a\n`,
  'END before BEGIN': `${E}\n127.0.0.1 localhost\n${B}\n10.0.0.1 a\n${E}\n`,
  'no final newline': `127.0.0.1 localhost\n${B}\n10.0.0.1 a\n${E}`,
  empty: '',
};

describe('/etc/hosts block', () => {
  for (const [name, text] of Object.entries(CASES)) {
    it(`read without the block, it renders the same file (${name})`, () => {
      const file = join(dir, name.replace(/\W+/g, '-'));
      writeFileSync(file, text);
      const read = execFileSync('sh', ['-c', readWithoutBlock(file)], { encoding: 'utf8' });
      const entries = [['10.0.0.3', 'c'], ['10.0.0.4', 'd']] as const;
      expect(withBlock(read, '10.0.0.3 c\n10.0.0.4 d')).toBe(etcHostsWith(text, entries));
    });
  }

  it('leaves the block out and every other line in', () => {
    const file = join(dir, 'middle');
    writeFileSync(file, CASES['block in the middle'] ?? '');
    expect(execFileSync('sh', ['-c', readWithoutBlock(file)], { encoding: 'utf8' })).toBe('127.0.0.1 localhost\n10.9.9.9 mine\n');
  });

  it('gather-facts reads /etc/hosts through it', () => {
    expect(FACTS_SCRIPT).toContain(`echo @hosts; ${readWithoutBlock('/etc/hosts')}`);
  });

  it('builds the block once per plan', () => {
    let reads = 0;
    const hosts = Array.from({ length: 3 }, (_, i) => ({ host: { name: `n${i}`, internalIP: `10.0.0.${i}` } }));
    const plan = { get hosts() { reads += 1; return hosts; } } as unknown as ClusterPlan;
    expect(hostsBlock(plan)).toBe('10.0.0.0 n0\n10.0.0.1 n1\n10.0.0.2 n2');
    expect(hostsBlock(plan)).toBe(hostsBlock(plan));
    expect(reads).toBe(1);
  });
});
