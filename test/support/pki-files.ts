/**
 * Writes a PkiBundle to a directory (one .crt/.key per id, sa.key, sa.pub) and describes each
 * certificate's chain, usages and SANs, for the openssl, Go and etcd tests.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Inventory } from '../../src/inventory/types.js';
import { certSpecs } from '../../src/pki/specs.js';
import type { PkiBundle } from '../../src/pki/types.js';

/** One written certificate and what it should satisfy. */
export interface WrittenCert {
  readonly id: string;
  readonly cert: string;
  readonly key: string;
  /** The CA certificate file (the cert itself for a CA). */
  readonly ca: string;
  readonly isCA: boolean;
  readonly usages: readonly string[];
  readonly dns: readonly string[];
  readonly ips: readonly string[];
}

/** Writes every certificate of `bundle` into `dir`; returns the per-cert descriptions. */
export function writeBundle(inv: Inventory, bundle: PkiBundle, dir: string): { certs: WrittenCert[]; saKey: string; saPub: string } {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const certs: WrittenCert[] = [];
  for (const spec of certSpecs(bundle.catalogue, inv)) {
    if (spec.kind === 'keypair') continue;
    const m = bundle.certs.get(spec.id);
    if (!m) throw new Error(`bundle lacks ${spec.id}`);
    const cert = join(dir, `${spec.id}.crt`);
    const key = join(dir, `${spec.id}.key`);
    writeFileSync(cert, m.certPem);
    if (m.keyPem) writeFileSync(key, m.keyPem, { mode: 0o600 });
    const isCA = spec.kind === 'ca';
    certs.push({
      id: spec.id,
      cert,
      key,
      ca: isCA ? cert : join(dir, `${spec.signer}.crt`),
      isCA,
      usages: spec.usages,
      dns: isCA ? [spec.commonName] : spec.sans.dns,
      ips: isCA ? [] : spec.sans.ips,
    });
  }
  const saKey = join(dir, 'sa.key');
  const saPub = join(dir, 'sa.pub');
  writeFileSync(saKey, bundle.serviceAccount.privatePem, { mode: 0o600 });
  writeFileSync(saPub, bundle.serviceAccount.publicPem);
  return { certs, saKey, saPub };
}
