/**
 * The few DER (X.690) encodings an X.509 certificate needs, and a reader for picking raw fields out
 * of an existing certificate. Pure; small on purpose: every byte kubesmith writes is decided here or
 * in x509-write.ts, and checked by Go, openssl and Node in test/pki/.
 */

/** A tag-length-value element. */
export function tlv(tag: number, content: Uint8Array): Uint8Array {
  const n = content.length;
  const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : n < 0x10000 ? [0x82, n >> 8, n & 0xff] : [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
  const out = new Uint8Array(1 + len.length + n);
  out[0] = tag;
  out.set(len, 1);
  out.set(content, 1 + len.length);
  return out;
}

/** Concatenation. */
export function cat(...parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** SEQUENCE of the given elements. */
export const seq = (...items: readonly Uint8Array[]): Uint8Array => tlv(0x30, cat(...items));
/** SET of the given elements (callers pass one element, so no DER sorting is needed). */
export const set = (...items: readonly Uint8Array[]): Uint8Array => tlv(0x31, cat(...items));
/** OCTET STRING. */
export const octets = (b: Uint8Array): Uint8Array => tlv(0x04, b);
/** BIT STRING with no unused bits (signatures, key bits). */
export const bits = (b: Uint8Array): Uint8Array => tlv(0x03, cat(Uint8Array.of(0), b));
/** BOOLEAN TRUE. */
export const TRUE = Uint8Array.of(0x01, 0x01, 0xff);
/** NULL. */
export const NULL = Uint8Array.of(0x05, 0x00);

/** INTEGER from big-endian magnitude bytes: leading zeros stripped, 0x00 prepended when the top bit is set. */
export function integer(magnitude: Uint8Array): Uint8Array {
  let i = 0;
  while (i < magnitude.length - 1 && magnitude[i] === 0) i += 1;
  const m = magnitude.subarray(i);
  return tlv(0x02, (m[0] ?? 0) & 0x80 ? cat(Uint8Array.of(0), m) : m);
}

/** OBJECT IDENTIFIER from dotted text. */
export function oid(dotted: string): Uint8Array {
  const arcs = dotted.split('.').map(Number);
  const out: number[] = [(arcs[0] ?? 0) * 40 + (arcs[1] ?? 0)];
  for (const arc of arcs.slice(2)) {
    const chunk: number[] = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift((v & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return tlv(0x06, Uint8Array.from(out));
}

const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;
/** PrintableString when every character is legal in one (X.680 §41.4), else UTF8String, as Go does. */
export function directoryString(s: string): Uint8Array {
  return tlv(PRINTABLE.test(s) ? 0x13 : 0x0c, new TextEncoder().encode(s));
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
/** UTCTime before 2050, GeneralizedTime from 2050 on (RFC 5280 §4.1.2.5); whole seconds, "Z". */
export function time(d: Date): Uint8Array {
  const y = d.getUTCFullYear();
  const rest = `${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}Z`;
  return y < 2050 ? tlv(0x17, new TextEncoder().encode(`${pad(y % 100)}${rest}`)) : tlv(0x18, new TextEncoder().encode(`${pad(y, 4)}${rest}`));
}

/** A parsed element: where its header and content are inside the buffer. */
export interface DerNode {
  readonly tag: number;
  /** The whole element (tag + length + content). */
  readonly raw: Uint8Array;
  readonly content: Uint8Array;
}

/** Reads the element at `offset`. Throws on truncated input. */
export function readNode(buf: Uint8Array, offset = 0): DerNode {
  const tag = buf[offset];
  let len = buf[offset + 1];
  if (tag === undefined || len === undefined) throw new Error('DER: truncated');
  let head = 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (buf[offset + 2 + i] ?? 0);
    head += n;
  }
  if (offset + head + len > buf.length) throw new Error('DER: truncated');
  return { tag, raw: buf.subarray(offset, offset + head + len), content: buf.subarray(offset + head, offset + head + len) };
}

/** The elements inside a constructed element. */
export function children(node: DerNode): DerNode[] {
  const out: DerNode[] = [];
  for (let at = 0; at < node.content.length; ) {
    const c = readNode(node.content, at);
    out.push(c);
    at += c.raw.length;
  }
  return out;
}
