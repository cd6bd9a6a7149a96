import { describe, expect, it } from 'vitest';
import { canonicalIp, cidrsOverlap, formatIp, ipBytes, isNetworkAddress, nthIp, parseCidr, parseIp, specialIpKind } from '../../src/shared/net.js';

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

describe('canonicalIp', () => {
  it('spells one address one way, whatever the zeros and case', () => {
    expect(canonicalIp('fd00:0:0::10')).toBe('fd00::10');
    expect(canonicalIp('FD00:0000::0010')).toBe('fd00::10');
    expect(canonicalIp('fd00::10')).toBe('fd00::10');
    expect(canonicalIp('10.0.0.1')).toBe('10.0.0.1');
    expect(canonicalIp('node01.example.com')).toBeUndefined();
  });
});

describe('specialIpKind', () => {
  it.each([
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'this-network'],
    ['127.0.0.1', 'loopback'],
    ['127.45.1.9', 'loopback'],
    ['169.254.10.3', 'link-local'],
    ['224.0.0.5', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['fe80::1', 'link-local'],
    ['ff02::1', 'multicast'],
    ['::ffff:10.0.0.1', 'ipv4-mapped'],
  ])('%s is %s', (text, kind) => {
    expect(specialIpKind(parseIp(text)!)).toBe(kind);
  });
  it.each(['10.0.0.1', '192.168.80.0', '192.168.80.255', '172.16.0.0', '100.64.0.1', 'fd00::10', '2001:db8::1'])('%s is an ordinary unicast address', (text) => {
    // x.y.z.0 and x.y.z.255 are fine: whether they are a subnet's network or broadcast address depends on a mask kubesmith does not know.
    expect(specialIpKind(parseIp(text)!)).toBeUndefined();
  });
});

describe('parseCidr prefix', () => {
  it('rejects leading zeros in the prefix, as Go does', () => {
    expect(parseCidr('10.0.0.0/08')).toBeUndefined();
    expect(parseCidr('10.0.0.0/8')?.prefix).toBe(8);
    expect(parseCidr('0.0.0.0/0')?.prefix).toBe(0);
  });
});
