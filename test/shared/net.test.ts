import { describe, expect, it } from 'vitest';
import { cidrsOverlap, formatIp, ipBytes, isNetworkAddress, nthIp, parseCidr, parseIp } from '../../src/shared/net.js';

describe('parseIp / formatIp', () => {
  it.each([
    ['10.0.0.1', '10.0.0.1'],
    ['::1', '::1'],
    ['fd00::', 'fd00::'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['::ffff:10.0.0.1', '::ffff:a00:1'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
    ['::', '::'],
  ])('round-trips %s', (text, canonical) => {
    const ip = parseIp(text);
    expect(ip).toBeDefined();
    expect(formatIp(ip!)).toBe(canonical);
  });
  it.each(['1::2::3', '256.1.1.1', '01.1.1.1', '1.2.3', 'abc', '1:2:3:4:5:6:7:8:9', ''])('rejects %s', (text) => {
    expect(parseIp(text)).toBeUndefined();
  });
});

describe('CIDR math', () => {
  it('finds the n-th address of a range', () => {
    expect(nthIp('10.0.0.0/24', 1)).toBe('10.0.0.1');
    expect(nthIp('10.96.0.0/12', 10)).toBe('10.96.0.10');
    expect(nthIp('fd00::/108', 1)).toBe('fd00::1');
    expect(nthIp('10.0.0.0/30', 4)).toBeUndefined();
  });
  it('detects overlap and host bits', () => {
    expect(cidrsOverlap(parseCidr('10.0.0.0/24')!, parseCidr('10.0.0.128/25')!)).toBe(true);
    expect(cidrsOverlap(parseCidr('10.0.0.0/24')!, parseCidr('10.0.1.0/24')!)).toBe(false);
    expect(isNetworkAddress('10.0.0.0/24')).toBe(true);
    expect(isNetworkAddress('10.0.0.1/24')).toBe(false);
    expect(parseCidr('10.0.0.0/33')).toBeUndefined();
  });
  it('encodes SAN bytes', () => {
    expect([...ipBytes('10.0.0.1')!]).toEqual([10, 0, 0, 1]);
    expect(ipBytes('::1')!.length).toBe(16);
  });
});
