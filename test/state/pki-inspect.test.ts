/**
 * The read-only view of the PKI state (state/pki-inspect.ts) that the commands building a plan from
 * the state use (remove, etcd snapshot/restore, pki check --remote): it carries the identity record
 * (cluster.json) with the certificates, so those plans render each etcd config as apply did.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inspectPkiState } from '../../src/state/pki-inspect.js';

describe('inspectPkiState', () => {
  it('reads certificates, the rotation record and the identity record, and nothing it does not know', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ks-inspect-'));
    writeFileSync(join(dir, 'etcd-ca.crt'), 'CERT', { mode: 0o600 });
    writeFileSync(join(dir, 'cluster.json'), '{"cluster":"c"}\n', { mode: 0o600 });
    writeFileSync(join(dir, 'notes.txt'), 'the operator\'s', { mode: 0o600 });
    const { state } = inspectPkiState(dir);
    expect(state.identityJson).toBe('{"cluster":"c"}\n');
    expect(state.pairs.get('etcd-ca')).toEqual({ certPem: 'CERT' });
    expect([...state.pairs.keys()]).toEqual(['etcd-ca']);
  });
});
