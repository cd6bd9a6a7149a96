/**
 * `pki renew` on a cluster whose bootstrap token expired (issue #12 part 3): kubelets whose client
 * certificate expired re-bootstrap with that token, so the renewal says the token is no good and
 * that `kubesmith apply` issues a fresh one; a valid token is not mentioned.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliCaptured } from '../support/cli-run.js';

const EXAMPLE = new URL('../../inventory.example.yaml', import.meta.url).pathname;
const cli = (cwd: string, argv: string[]) => runCliCaptured(argv, { cwd, env: { NO_COLOR: '1' } });

describe('pki renew and the bootstrap token', () => {
  it('names an expired token and the command that replaces it (text and --json); says nothing of a valid one', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'kubesmith-renew-token-'));
    writeFileSync(join(cwd, 'inventory.yaml'), readFileSync(EXAMPLE, 'utf8').replace('# keyAlgorithm: rsa-2048 ', 'keyAlgorithm: ecdsa-p256 '));
    const pki = join(cwd, '.kubesmith', 'demo', 'pki');
    expect((await cli(cwd, ['pki', 'generate', '-i', 'inventory.yaml'])).code).toBe(0);
    const fresh = await cli(cwd, ['pki', 'renew', '-i', 'inventory.yaml', 'apiserver']);
    expect(fresh.code, fresh.err).toBe(0);
    expect(fresh.out).not.toMatch(/bootstrap token/);
    writeFileSync(join(pki, 'bootstrap-token.json'), JSON.stringify({ id: 'abcdef', secret: '0123456789abcdef', expires: '2025-01-01T00:00:00Z' }), { mode: 0o600 });
    const r = await cli(cwd, ['pki', 'renew', '-i', 'inventory.yaml', '--all']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('The bootstrap token abcdef expired at 2025-01-01T00:00:00Z: `kubesmith apply` issues a fresh one, which kubelets whose client certificate expired re-bootstrap with.');
    const j = await cli(cwd, ['pki', 'renew', '-i', 'inventory.yaml', 'admin', '--json']);
    expect(JSON.parse(j.out).bootstrapToken).toEqual({ id: 'abcdef', expires: '2025-01-01T00:00:00Z', replacedBy: 'kubesmith apply', reason: 'expired at 2025-01-01T00:00:00Z' });
  });
});
