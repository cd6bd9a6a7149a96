/**
 * A complete, real PkiBundle for an Inventory, for tests of the renderer and deployer: certificates
 * are issued by the production code (src/pki/ensure.ts) from the shipped pki/profiles.yaml, with a
 * day-stable clock, seeded entropy and pre-generated fixture keys (test/fixtures/keys/, "generated
 * for testing purposes only"), so it is fast and the same within a day.
 */
import { createHash, generateKeyPair } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { Inventory, KeyAlgorithm } from '../../src/inventory/types.js';
import { ensurePki, type EnsureResult } from '../../src/pki/ensure.js';
import { parseCatalogue } from '../../src/pki/profiles.js';
import type { PkiCatalogue } from '../../src/pki/profile-types.js';
import { emptyPkiState, type PkiState } from '../../src/pki/state-types.js';
import type { KeySource, PkiBundle } from '../../src/pki/types.js';
import type { Clock, Entropy } from '../../src/shared/clock.js';
import { exampleInventory } from './inventory-builder.js';

const ROOT = new URL('../../', import.meta.url);
const KEYS_DIR = new URL('test/fixtures/keys/', ROOT);

/** The shipped catalogue, parsed. */
export function shippedCatalogue(): PkiCatalogue {
  const path = new URL('pki/profiles.yaml', ROOT).pathname;
  return parseCatalogue(readFileSync(path, 'utf8'), path);
}

/** A clock frozen at `at`. */
export function fixedClock(at: Date): Clock {
  return { now: () => new Date(at.getTime()) };
}

/** Deterministic bytes: SHA-256(seed || counter) blocks. Tests only; never a CSPRNG. */
export function seededEntropy(seed = 'kubesmith-test'): Entropy {
  let counter = 0;
  return {
    bytes(n: number): Uint8Array {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i += 32) {
        const block = createHash('sha256').update(`${seed}:${counter++}`).digest();
        out.set(block.subarray(0, Math.min(32, n - i)), i);
      }
      return out;
    },
  };
}

const generated = new Map<KeyAlgorithm, Promise<string>[]>();

function freshKey(alg: KeyAlgorithm): Promise<string> {
  return new Promise((resolve, reject) => {
    const cb = (err: Error | null, _p: string, k: string): void => (err ? reject(err) : resolve(k));
    if (alg.startsWith('rsa-')) {
      generateKeyPair('rsa', { modulusLength: Number(alg.slice(4)), publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs1', format: 'pem' } }, cb);
    } else {
      const namedCurve = alg === 'ecdsa-p384' ? 'secp384r1' : 'prime256v1';
      generateKeyPair('ec', { namedCurve, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'sec1', format: 'pem' } }, cb);
    }
  });
}

/** The n-th fixture key of `alg`: from test/fixtures/keys/<alg>/<n>.pem, else generated once per process. */
function fixtureKey(alg: KeyAlgorithm, n: number): Promise<string> {
  const file = new URL(`${alg}/${String(n).padStart(2, '0')}.pem`, KEYS_DIR);
  if (existsSync(file)) return Promise.resolve(readFileSync(file, 'utf8'));
  const list = generated.get(alg) ?? [];
  generated.set(alg, list);
  while (list.length <= n) list.push(freshKey(alg));
  return list[n]!;
}

/** A KeySource handing out fixture keys in call order from `offset` (every call gets a different key). */
export function fixtureKeySource(offset = 0): KeySource {
  const next = new Map<KeyAlgorithm, number>();
  return {
    async generate(alg) {
      const n = next.get(alg) ?? offset;
      next.set(alg, n + 1);
      return { privateKeyPem: await fixtureKey(alg, n) };
    },
  };
}

/** The fixtures' default clock: the start of the current 12-hour UTC period (see PkiFixtureOptions.now). */
export function fixtureNow(): Date {
  return new Date(Math.floor(Date.now() / 43_200_000) * 43_200_000);
}

/** Options for pkiFixture. */
export interface PkiFixtureOptions {
  /**
   * @default the start of the current 12-hour UTC period: certificates are valid now and the result
   * is stable within it. Not the start of the day: the bootstrap token (24 h) would then be within
   * its last hour from 23:00 UTC on, and apply/render renew such a token (CI failed so at 23:5x).
   */
  readonly now?: Date;
  readonly state?: PkiState;
  readonly seed?: string;
}

/** The full result of ensurePki (bundle, decisions, files it would write) for `inv`. */
export async function pkiFixtureResult(inv: Inventory = exampleInventory(), opts: PkiFixtureOptions = {}): Promise<EnsureResult> {
  const now = opts.now ?? fixtureNow();
  const sources = { clock: fixedClock(now), entropy: seededEntropy(opts.seed), keys: fixtureKeySource() };
  return ensurePki(inv, shippedCatalogue(), opts.state ?? emptyPkiState('/nonexistent/pki-fixture'), sources);
}

/** A complete PkiBundle for `inv` (default: the example inventory), issued by the real CA code. */
export async function pkiFixture(inv: Inventory = exampleInventory(), opts: PkiFixtureOptions = {}): Promise<PkiBundle> {
  return (await pkiFixtureResult(inv, opts)).bundle;
}
