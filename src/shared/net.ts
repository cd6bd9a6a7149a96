/**
 * Pure IPv4/IPv6 address and CIDR arithmetic (node:net is I/O-adjacent and off limits in pure code,
 * and we need BigInt math for "the Nth address of a range" anyway).
 */

export interface ParsedIp {
  readonly version: 4 | 6;
  readonly value: bigint;
}

export interface Cidr {
  readonly version: 4 | 6;
  readonly base: bigint; // network address
  readonly prefix: number;
  readonly text: string;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** Parses a dotted-quad or RFC 4291 IPv6 text; undefined when it is not an IP. */
export function parseIp(text: string): ParsedIp | undefined {
  if (IPV4.test(text)) {
    return { version: 4, value: text.split('.').reduce((acc, o) => (acc << 8n) | BigInt(Number(o)), 0n) };
  }
  if (!/^[0-9a-fA-F:.]+$/.test(text) || !text.includes(':')) return undefined;
  // An embedded dotted quad (::ffff:10.0.0.1) becomes two hex groups.
  let hex = text;
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    const v4 = parseIp(tail);
    if (!v4 || v4.version !== 4) return undefined;
    hex = `${text.slice(0, lastColon + 1)}${(v4.value >> 16n).toString(16)}:${(v4.value & 0xffffn).toString(16)}`;
  }
  const parts = hex.split('::');
  if (parts.length > 2) return undefined;
  const left = parts[0] === '' || parts[0] === undefined ? [] : parts[0].split(':');
  const right = parts.length === 2 && parts[1] !== '' && parts[1] !== undefined ? parts[1].split(':') : [];
  const missing = 8 - left.length - right.length;
  if (parts.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...left, ...Array<string>(missing).fill('0'), ...right];
  if (groups.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  return { version: 6, value: groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n) };
}

export function isIp(text: string): boolean {
  return parseIp(text) !== undefined;
}

/** The one spelling of an address ("fd00:0:0::10" -> "fd00::10"), for comparing; undefined when not an IP. */
export function canonicalIp(text: string): string | undefined {
  const ip = parseIp(text);
  return ip === undefined ? undefined : formatIp(ip);
}

/** Address blocks that are not one machine's unicast address. */
export type SpecialIpKind = 'unspecified' | 'this-network' | 'loopback' | 'link-local' | 'multicast' | 'broadcast' | 'ipv4-mapped';

const SPECIAL_RANGES: readonly { readonly cidr: string; readonly kind: SpecialIpKind }[] = [
  { cidr: '0.0.0.0/32', kind: 'unspecified' },
  { cidr: '0.0.0.0/8', kind: 'this-network' }, // RFC 1122: "this host on this network", never a destination
  { cidr: '127.0.0.0/8', kind: 'loopback' },
  { cidr: '169.254.0.0/16', kind: 'link-local' },
  { cidr: '224.0.0.0/4', kind: 'multicast' },
  { cidr: '255.255.255.255/32', kind: 'broadcast' },
  { cidr: '::/128', kind: 'unspecified' },
  { cidr: '::1/128', kind: 'loopback' },
  { cidr: 'fe80::/10', kind: 'link-local' },
  { cidr: 'ff00::/8', kind: 'multicast' },
  { cidr: '::ffff:0.0.0.0/96', kind: 'ipv4-mapped' },
];
const SPECIAL = SPECIAL_RANGES.map((r) => ({ c: parseCidr(r.cidr) as Cidr, kind: r.kind }));

/** Which special block an address is in (RFC 6890), or undefined for an ordinary unicast address. */
export function specialIpKind(ip: ParsedIp): SpecialIpKind | undefined {
  return SPECIAL.find((r) => cidrContains(r.c, ip))?.kind;
}

/** Parses "a.b.c.d/n"; `strict` rejects host bits set (10.0.0.1/24). */
export function parseCidr(text: string): Cidr | undefined {
  // No leading zeros in the prefix ("/08"), as Go's netip.ParsePrefix, which Kubernetes uses.
  const m = /^([^/]+)\/(0|[1-9]\d{0,2})$/.exec(text);
  if (!m) return undefined;
  const ip = parseIp(m[1] ?? '');
  const prefix = Number(m[2]);
  if (!ip) return undefined;
  const bits = ip.version === 4 ? 32 : 128;
  if (prefix > bits) return undefined;
  const mask = ((1n << BigInt(bits)) - 1n) ^ ((1n << BigInt(bits - prefix)) - 1n);
  return { version: ip.version, base: ip.value & mask, prefix, text };
}

/** True when the CIDR text has no host bits set (10.0.0.0/24, not 10.0.0.1/24). */
export function isNetworkAddress(text: string): boolean {
  const c = parseCidr(text);
  const ip = parseIp(text.split('/')[0] ?? '');
  return c !== undefined && ip !== undefined && c.base === ip.value;
}

function size(c: Cidr): bigint {
  return 1n << BigInt((c.version === 4 ? 32 : 128) - c.prefix);
}

export function cidrContains(c: Cidr, ip: ParsedIp): boolean {
  return c.version === ip.version && ip.value >= c.base && ip.value < c.base + size(c);
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return a.version === b.version && a.base < b.base + size(b) && b.base < a.base + size(a);
}

export function formatIp(ip: ParsedIp): string {
  if (ip.version === 4) return [24n, 16n, 8n, 0n].map((sh) => String((ip.value >> sh) & 0xffn)).join('.');
  const groups = Array.from({ length: 8 }, (_, i) => Number((ip.value >> BigInt(112 - 16 * i)) & 0xffffn));
  // Compress the longest run (2+) of zero groups (RFC 5952).
  let best = { at: -1, len: 1 };
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j += 1;
    if (j - i > best.len) best = { at: i, len: j - i };
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.at < 0) return hex.join(':');
  return `${hex.slice(0, best.at).join(':')}::${hex.slice(best.at + best.len).join(':')}`;
}

/** The n-th address of a range: nthIp("10.0.0.0/24", 1) is "10.0.0.1" (the kubernetes Service IP). */
export function nthIp(cidrText: string, n: number): string | undefined {
  const c = parseCidr(cidrText);
  if (!c || BigInt(n) >= size(c)) return undefined;
  return formatIp({ version: c.version, value: c.base + BigInt(n) });
}

/** 4 or 16 raw bytes, as an X.509 IP SAN carries them. */
export function ipBytes(text: string): Uint8Array | undefined {
  const ip = parseIp(text);
  if (!ip) return undefined;
  const len = ip.version === 4 ? 4 : 16;
  return Uint8Array.from({ length: len }, (_, i) => Number((ip.value >> BigInt(8 * (len - 1 - i))) & 0xffn));
}
