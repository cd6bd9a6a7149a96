/** Time, randomness and key generation are inputs, so pure code stays deterministic in tests. */
export interface Clock {
  now(): Date;
}

/** Cryptographically secure random bytes (node:crypto in production, seeded in tests). */
export interface Entropy {
  bytes(n: number): Uint8Array;
}
