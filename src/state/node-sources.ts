/**
 * Node implementations of Clock, Entropy and KeySource. Keys come from the ASYNC generateKeyPair:
 * it runs in the libuv thread pool, so a whole PKI's keys generate in parallel, off the main thread.
 */
import { generateKeyPair, randomBytes } from 'node:crypto';
import type { KeyAlgorithm } from '../inventory/types.js';
import type { KeySource } from '../pki/types.js';
import type { Clock, Entropy } from '../shared/clock.js';

/** The wall clock. */
export const NodeClock: Clock = { now: () => new Date() };

/** crypto.randomBytes (the OS CSPRNG). */
export const NodeEntropy: Entropy = { bytes: (n) => new Uint8Array(randomBytes(n)) };

/** Generates `alg` keys as kubeadm writes them: PKCS#1 "RSA PRIVATE KEY" or SEC1 "EC PRIVATE KEY". */
function generate(alg: KeyAlgorithm): Promise<{ readonly privateKeyPem: string }> {
  return new Promise((resolve, reject) => {
    const done = (err: Error | null, _pub: string, privateKeyPem: string): void => (err ? reject(err) : resolve({ privateKeyPem }));
    if (alg.startsWith('rsa-')) {
      const modulusLength = Number(alg.slice(4));
      generateKeyPair('rsa', { modulusLength, publicExponent: 0x10001, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs1', format: 'pem' } }, done);
    } else {
      const namedCurve = alg === 'ecdsa-p384' ? 'secp384r1' : 'prime256v1';
      generateKeyPair('ec', { namedCurve, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'sec1', format: 'pem' } }, done);
    }
  });
}

/** KeySource backed by node:crypto. */
export const NodeKeySource: KeySource = { generate };
