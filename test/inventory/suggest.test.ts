import { describe, expect, it } from 'vitest';
import { didYouMean, levenshtein } from '../../src/inventory/suggest.js';

describe('did-you-mean', () => {
  it('computes edit distance', () => {
    expect(levenshtein('kitten', 'sitting')).toBe(3);
    expect(levenshtein('', 'abc')).toBe(3);
    expect(levenshtein('same', 'same')).toBe(0);
  });

  it('prefers a case-insensitive match, then aliases, then a close typo', () => {
    expect(didYouMean('serviceCidr', ['podCIDR', 'serviceCIDR'])).toBe('serviceCIDR');
    expect(didYouMean('master', ['etcd', 'control-plane'], { master: 'control-plane' })).toBe('control-plane');
    expect(didYouMean('wroker', ['worker', 'etcd'])).toBe('worker');
    expect(didYouMean('rsa2048', ['rsa-2048', 'rsa-3072'])).toBe('rsa-2048');
  });

  it('suggests nothing for unrelated words', () => {
    expect(didYouMean('gpu', ['etcd', 'control-plane', 'worker', 'loadbalancer'])).toBeUndefined();
    expect(didYouMean('labels', ['name', 'address', 'internalIP', 'roles', 'ssh'])).toBeUndefined();
  });
});
