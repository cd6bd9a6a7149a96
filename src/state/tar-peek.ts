/**
 * Reads the first bytes of a few members of a .tar.gz without unpacking it: one streamed pass
 * through gunzip and the 512-byte tar headers, stopping as soon as every wanted member was seen.
 * `bundle check` uses it to read the kubernetes-server tarball's `kubernetes/version` file and the
 * kubelet's ELF magic while writing nothing (system `tar` would need a place to extract to).
 * Understands ustar names with a prefix, GNU long names ('L') and pax paths ('x').
 */
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';

const BLOCK = 512;

/** Strips "./" so "./kubernetes/version" and "kubernetes/version" are the same member. */
const norm = (name: string): string => name.replace(/^\.\//, '');

function field(h: Buffer, start: number, len: number): string {
  const raw = h.subarray(start, start + len);
  const end = raw.indexOf(0);
  return raw.subarray(0, end < 0 ? raw.length : end).toString('utf8');
}

/** The path from a pax extended header body ("<len> path=<name>\n" records). */
function paxPath(body: Buffer): string | undefined {
  const m = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(body.toString('utf8'));
  return m?.[1];
}

/**
 * Up to `maxBytes` of each wanted member's content, by member name (without "./"). Members the
 * archive does not hold are absent from the result. Throws on a damaged gzip stream.
 */
export async function peekTarMembers(path: string, members: readonly string[], maxBytes = 256): Promise<ReadonlyMap<string, Buffer>> {
  const wanted = new Set(members.map(norm));
  const found = new Map<string, Buffer>();
  let pending: Buffer = Buffer.alloc(0);
  // Current entry: bytes of body still to consume, and what to keep of it.
  let body: { remaining: number; pad: number; keep: number; chunks: Buffer[]; kind: 'member' | 'long' | 'pax' | 'skip'; name: string } | undefined;
  let nextName: string | undefined;
  const stream = createReadStream(path, { highWaterMark: 1 << 20 }).pipe(createGunzip());
  for await (const chunk of stream) {
    pending = pending.length === 0 ? (chunk as Buffer) : Buffer.concat([pending, chunk as Buffer]);
    for (;;) {
      if (body) {
        const take = Math.min(body.remaining, pending.length);
        const kept = body.chunks.reduce((n, c) => n + c.length, 0);
        if (kept < body.keep) body.chunks.push(pending.subarray(0, Math.min(take, body.keep - kept)));
        pending = pending.subarray(take);
        body.remaining -= take;
        if (body.remaining > 0) break;
        if (pending.length < body.pad) break;
        pending = pending.subarray(body.pad);
        const data = Buffer.concat(body.chunks);
        if (body.kind === 'member') found.set(body.name, data);
        else if (body.kind === 'long') nextName = field(data, 0, data.length);
        else if (body.kind === 'pax') nextName = paxPath(data) ?? nextName;
        body = undefined;
        if (found.size === wanted.size) {
          stream.destroy();
          return found;
        }
        continue;
      }
      if (pending.length < BLOCK) break;
      const h = pending.subarray(0, BLOCK);
      pending = pending.subarray(BLOCK);
      if (h.every((b) => b === 0)) {
        stream.destroy();
        return found;
      }
      const size = parseInt(field(h, 124, 12).trim() || '0', 8);
      const type = String.fromCharCode(h[156] ?? 0);
      const prefix = field(h, 345, 155);
      const name = norm(nextName ?? (prefix === '' ? field(h, 0, 100) : `${prefix}/${field(h, 0, 100)}`));
      if (type !== 'L' && type !== 'x') nextName = undefined;
      const kind = type === 'L' ? 'long' : type === 'x' ? 'pax' : (type === '0' || type === '\0') && wanted.has(name) && !found.has(name) ? 'member' : 'skip';
      const keep = kind === 'member' ? maxBytes : kind === 'skip' ? 0 : 1 << 16;
      body = { remaining: size, pad: (BLOCK - (size % BLOCK)) % BLOCK, keep, chunks: [], kind, name };
    }
  }
  return found;
}
