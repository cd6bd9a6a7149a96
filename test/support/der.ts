/** A minimal DER reader for encoding assertions in tests (tag, length, value; no schema). */

/** One TLV node. */
export interface Der {
  readonly tag: number;
  /** The value bytes. */
  readonly value: Uint8Array;
  /** The whole encoding (tag + length + value). */
  readonly raw: Uint8Array;
  readonly children: readonly Der[];
}

/** Parses one DER element at `offset`; constructed elements are parsed recursively. */
export function parseDer(buf: Uint8Array, offset = 0): Der {
  const tag = buf[offset]!;
  let len = buf[offset + 1]!;
  let head = 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[offset + 2 + i]!;
    head = 2 + n;
  }
  const value = buf.subarray(offset + head, offset + head + len);
  const children: Der[] = [];
  if (tag & 0x20) {
    for (let at = 0; at < value.length; ) {
      const c = parseDer(value, at);
      children.push(c);
      at += c.raw.length;
    }
  }
  return { tag, value, raw: buf.subarray(offset, offset + head + len), children };
}

/** The PEM body as DER bytes. */
export function pemToDer(pem: string): Uint8Array {
  const b64 = pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  return new Uint8Array(Buffer.from(b64, 'base64'));
}

/** The fields of a certificate's TBSCertificate that encoding rules talk about. */
export interface TbsParts {
  readonly serial: Der;
  readonly issuer: Der;
  readonly notBefore: Der;
  readonly notAfter: Der;
  readonly subject: Der;
  /** extnID (dotted) -> { critical, value (the OCTET STRING contents) }. */
  readonly extensions: ReadonlyMap<string, { readonly critical: boolean; readonly value: Uint8Array }>;
  readonly extensionCount: number;
}

/** Dotted OID text from OBJECT IDENTIFIER value bytes. */
export function oidText(v: Uint8Array): string {
  const parts = [Math.floor(v[0]! / 40), v[0]! % 40];
  let acc = 0;
  for (const b of v.subarray(1)) {
    acc = acc * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      parts.push(acc);
      acc = 0;
    }
  }
  return parts.join('.');
}

/** Splits a certificate's TBSCertificate into its parts. */
export function tbsParts(pem: string): TbsParts {
  const cert = parseDer(pemToDer(pem));
  const tbs = cert.children[0]!;
  const [, serial, , issuer, validity, subject, , extsWrapper] = tbs.children;
  const exts = extsWrapper!.children[0]!.children;
  const extensions = new Map<string, { critical: boolean; value: Uint8Array }>();
  for (const e of exts) {
    const id = oidText(e.children[0]!.value);
    const critical = e.children.length === 3 && e.children[1]!.tag === 0x01 && e.children[1]!.value[0] === 0xff;
    extensions.set(id, { critical, value: e.children[e.children.length - 1]!.value });
  }
  return { serial: serial!, issuer: issuer!, notBefore: validity!.children[0]!, notAfter: validity!.children[1]!, subject: subject!, extensions, extensionCount: exts.length };
}
