// The simulated fleet of bench/scale: a Transport (src/deploy/runner.ts) whose connections answer
// every read-only call of `kubesmith apply --dry-run` with what real test hosts answered
// (fixtures/recorded-fleet.json, recorded by record.bench-run.ts). cp1..cp3 replay their own
// answers; every other host replays the recorded worker's, with its own name and address put in
// ({{W}}, {{WIP}}), the current clock ({{NOW}}) and, on the converged fleet, the /etc/hosts block
// kubesmith would have written for this fleet (at {{HOSTS_BLOCK}} in older recordings, whose
// gather-facts read /etc/hosts whole; in the file's digest in every recording).
//
// What a connection costs the client besides the network is kept: the host key is checked against
// the inventory's known_hosts exactly as dial() does (src/deploy/ssh/host-key.ts, with the
// transport's one KnownHostsFiles), with a key blob
// per host from that file. Not emulated: ssh2's handshake, ciphers and channels (no network), the
// identity file read per connection.
//
// On the converged fleet a file's digest comes from `digests` (the simulated fleet's own plan, per
// host and path) when the recorded host held that file: the recorded host was converged, so this
// host is too. Binaries keep their recorded digest (the same test bundle). /etc/hosts is hashed
// from the text the fake returns for it.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const ROOT = new URL('../../', import.meta.url).pathname;
/** SIM_DIST: another build to measure (a before/after comparison in one session). @default <repo>/dist */
const DIST = process.env.SIM_DIST ?? join(ROOT, 'dist');
const { hostKeyCheck } = await import(join(DIST, 'deploy/ssh/host-key.js'));
const { etcHostsWith } = await import(join(DIST, 'deploy/phases/prepare-hosts.js'));
// The run's known_hosts reading, shared by its connections as cli/ssh-transport.ts shares it (absent in older builds).
const { KnownHostsFiles } = await import(join(DIST, 'deploy/ssh/known-hosts-files.js')).catch(() => ({}));

const PLACEHOLDER = /\{\{(W|WIP|NOW|HOSTS_BLOCK)\}\}/g;
const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A text with placeholders as parts: rendering concatenates (V8 cons strings: no copy of a big block). */
function compile(text) {
  const parts = [];
  let at = 0;
  for (const m of text.matchAll(PLACEHOLDER)) {
    if (m.index > at) parts.push(text.slice(at, m.index));
    parts.push({ k: m[1] });
    at = m.index + m[0].length;
  }
  if (at < text.length || parts.length === 0) parts.push(text.slice(at));
  return parts;
}
function render(parts, vals) {
  let s = '';
  for (const p of parts) s += typeof p === 'string' ? p : vals[p.k];
  return s;
}

/**
 * `fixture`: the parsed recording; `scenario`: "fresh" | "applied"; `hosts`: the inventory's hosts
 * (name, address); `digests`: for "applied", {paths, shas, hosts: {name: [[pathIndex, shaIndex]...]}};
 * `knownHostsFile`: the inventory's. Returns {transport, stats()}.
 */
export function fakeFleet({ fixture, scenario, hosts, digests, knownHostsFile }) {
  const answers = fixture.scenarios[scenario];
  if (!answers) throw new Error(`fake fleet: no scenario ${scenario} in the fixture`);
  const templates = Object.fromEntries(
    Object.entries(answers).map(([name, a]) => [
      name,
      {
        probes: new Map(Object.entries(a.probes).map(([k, list]) => [k, list.map((r) => ({ exitCode: r.exitCode, stdout: compile(r.stdout), stderr: compile(r.stderr) }))])),
        stats: a.stats,
        etcHosts: a.etcHosts === undefined ? undefined : compile(a.etcHosts),
      },
    ]),
  );
  const own = new Set(Object.keys(templates).filter((n) => n !== '{{W}}'));
  const firstWorker = hosts.find((h) => !own.has(h.name));
  // The block kubesmith's prepare-hosts writes (every host, in inventory order), once for the fleet.
  const block = scenario === 'applied' ? etcHostsWith('', hosts.map((h) => [h.address, h.name])) : '';
  const keyBlobs = hostKeyBlobs(knownHostsFile);
  const digestOf = digestTable(digests);
  const counters = { misses: new Map(), fakeMs: 0, connects: 0 };

  const miss = (what) => counters.misses.set(what, (counters.misses.get(what) ?? 0) + 1);

  class FakeConnection {
    constructor(host) {
      this.name = host.name;
      this.host = host;
      const worker = own.has(host.name) ? firstWorker : host;
      this.t = templates[own.has(host.name) ? host.name : '{{W}}'];
      this.vals = { W: worker?.name ?? '', WIP: worker?.address ?? '', NOW: '', HOSTS_BLOCK: block };
      const nameRe = new RegExp(`(?<![\\w-])${escapeRe(this.vals.W)}(?![\\w-])`, 'g');
      const ipRe = new RegExp(`(?<![\\d.])${escapeRe(this.vals.WIP)}(?![\\d])`, 'g');
      const { W, WIP } = this.vals;
      this.unsub = (s) => (s.includes(W) || s.includes(WIP) ? s.replace(nameRe, '{{W}}').replace(ipRe, '{{WIP}}') : s);
      this.seen = new Map();
    }
    async probe(argv, opts) {
      opts?.signal?.throwIfAborted();
      const t0 = performance.now();
      const key = JSON.stringify(argv.map(this.unsub));
      const list = this.t.probes.get(key);
      let r;
      if (list === undefined) {
        miss(`probe ${argv.join(' ').slice(0, 80)}`);
        r = { exitCode: 127, stdout: '', stderr: 'bench/scale fake fleet: no recorded answer\n' };
      } else {
        const i = this.seen.get(key) ?? 0;
        this.seen.set(key, i + 1);
        const a = list[Math.min(i, list.length - 1)];
        const vals = { ...this.vals, NOW: String(Date.now()) };
        r = { exitCode: a.exitCode, stdout: render(a.stdout, vals), stderr: render(a.stderr, vals) };
      }
      counters.fakeMs += performance.now() - t0;
      return r;
    }
    async stat(paths, opts) {
      opts?.signal?.throwIfAborted();
      const t0 = performance.now();
      const out = new Map();
      const table = digestOf(this.name);
      for (const p of paths) {
        const rec = this.t.stats[this.unsub(p)];
        if (rec === undefined) miss(`stat ${p}`);
        if (!rec) continue;
        let sha256 = rec.sha256;
        if (p === '/etc/hosts' && this.t.etcHosts) sha256 = (this.etcHostsSha ??= createHash('sha256').update(this.etcHostsFile()).digest('hex'));
        else if (table?.has(p)) sha256 = table.get(p);
        out.set(p, { ...rec, sha256 });
      }
      counters.fakeMs += performance.now() - t0;
      return out;
    }
    exec(argv) {
      return Promise.reject(new Error(`fake fleet: ${this.name}: exec ${argv[0]}: a dry-run writes nothing`));
    }
    writeFile(path) {
      return Promise.reject(new Error(`fake fleet: ${this.name}: write ${path}: a dry-run writes nothing`));
    }
    download(path) {
      return Promise.reject(new Error(`fake fleet: ${this.name}: read ${path}: not recorded`));
    }
    async close() {}
    /**
     * The host's /etc/hosts: as recorded on a fresh host; on the converged fleet with kubesmith's
     * block for this fleet at its end (recordings since gather-facts reads the file without the
     * block hold none; older ones hold the {{HOSTS_BLOCK}} placeholder where it was).
     */
    etcHostsFile() {
      const text = render(this.t.etcHosts, this.vals);
      if (scenario !== 'applied' || this.t.etcHosts.some((p) => typeof p !== 'string' && p.k === 'HOSTS_BLOCK')) return text;
      const body = text.replace(/\n+$/, '');
      return `${body}${body ? '\n' : ''}${block}`;
    }
  }

  const transport = () => {
    const knownHosts = KnownHostsFiles ? new KnownHostsFiles() : undefined;
    return {
    async connect(host, signal) {
      signal?.throwIfAborted();
      const t0 = performance.now();
      const blob = keyBlobs.get(host.address);
      counters.fakeMs += performance.now() - t0;
      // What dial() does before ssh2 connects, and on the key the host presents.
      const check = hostKeyCheck({ label: host.name, address: host.address, port: host.ssh.port, knownHostsFile: host.ssh.knownHostsFile, policy: host.ssh.hostKeyPolicy }, knownHosts);
      if (blob === undefined || !check.verify(blob)) throw check.failure() ?? new Error(`fake fleet: ${host.name}: no host key`);
      counters.connects += 1;
      return new FakeConnection(host);
    },
    lock: async () => ({ release: async () => undefined }),
    };
  };
  return { transport, stats: () => ({ misses: [...counters.misses], fakeMs: counters.fakeMs, connects: counters.connects }) };
}

/** address -> the ssh-ed25519 key blob of the fake host (read once from the known_hosts the bench wrote). */
function hostKeyBlobs(file) {
  const out = new Map();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const [addr, type, b64] = line.split(' ');
    if (type === 'ssh-ed25519') out.set(addr, Buffer.from(b64, 'base64'));
  }
  return out;
}

/** host -> Map(path -> sha256), decoded per host on first use. */
function digestTable(d) {
  if (!d) return () => undefined;
  const cache = new Map();
  return (host) => {
    const rows = d.hosts[host];
    if (rows === undefined) return undefined;
    let m = cache.get(host);
    if (!m) cache.set(host, (m = new Map(rows.map(([p, s]) => [d.paths[p], d.shas[s]]))));
    return m;
  };
}
