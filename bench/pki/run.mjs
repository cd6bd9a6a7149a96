#!/usr/bin/env node
// Benchmark: the whole `kubesmith pki generate` process (fresh state dir) for inventory.example.yaml,
// side by side in one run with (a) the floor: the same number of keys from node:crypto
// generateKeyPair in parallel in one node process, and (b) the classic guide's way with the openssl
// command line (genpkey + req + x509 per certificate, sequential, as the guide's script runs it).
// Median of N interleaved runs. `cli --version` is the bare CLI startup (every command module loaded),
// shown so the PKI's own share is visible; `cmd alone` runs the pki generate command module in a
// process that does not load the other commands (what lazy command loading would give). Usage: npm run build && node bench/pki/run.mjs [--runs 7] [--alg rsa-2048,ecdsa-p256]
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = new URL('../../', import.meta.url).pathname;
const MAIN = join(ROOT, 'dist/cli/main.js');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const RUNS = Number(arg('runs', '7'));
const ALGS = arg('alg', 'ecdsa-p256,rsa-2048').split(',');

const { loadInventory } = await import(join(ROOT, 'dist/state/load-inventory.js'));
const { loadCatalogue } = await import(join(ROOT, 'dist/state/load-catalogue.js'));
const { certSpecs } = await import(join(ROOT, 'dist/pki/specs.js'));

function workspace(alg) {
  const dir = mkdtempSync(join(tmpdir(), `kubesmith-bench-${alg}-`));
  const text = readFileSync(join(ROOT, 'inventory.example.yaml'), 'utf8').replace('# keyAlgorithm: rsa-2048 ', `keyAlgorithm: ${alg} `);
  writeFileSync(join(dir, 'inventory.yaml'), text);
  return dir;
}

function timed(cmd, args, opts) {
  const t = performance.now();
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  const ms = performance.now() - t;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return ms;
}

const FLOOR = `
const { generateKeyPair } = require('node:crypto');
const [alg, n] = [process.argv[1], Number(process.argv[2])];
const opts = alg.startsWith('rsa-')
  ? ['rsa', { modulusLength: Number(alg.slice(4)), publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs1', format: 'pem' } }]
  : ['ec', { namedCurve: alg === 'ecdsa-p384' ? 'secp384r1' : 'prime256v1', publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'sec1', format: 'pem' } }];
Promise.all(Array.from({ length: n }, () => new Promise((ok, ko) => generateKeyPair(opts[0], opts[1], (e) => (e ? ko(e) : ok())))));
`;

// The same command module run without the CLI's other commands loaded (what lazy command loading gives).
const ALONE = `
const { pkiGenerateCommand } = await import(${JSON.stringify(join(ROOT, 'dist/cli/commands/pki-generate.js'))});
const inventory = process.argv[1];
const code = await pkiGenerateCommand.run({ values: { inventory }, positionals: [], stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd(), signal: new AbortController().signal, color: false, isTTY: false, debug: false });
process.exitCode = code;
`;

/** The openssl CLI script issuing the same certificates (subjects, SANs, usages, signers) as kubesmith. */
function opensslScript(alg, specs) {
  const gen = alg.startsWith('rsa-') ? `-algorithm RSA -pkeyopt rsa_keygen_bits:${alg.slice(4)}` : `-algorithm EC -pkeyopt ec_paramgen_curve:${alg === 'ecdsa-p384' ? 'P-384' : 'P-256'}`;
  const subj = (s) => `/${[...s.organizations.map((o) => `O=${o}`), `CN=${s.commonName}`].join('/')}`;
  const lines = ['set -eu'];
  for (const s of specs) {
    const f = s.id.replace('@', '_');
    if (s.kind === 'keypair') {
      lines.push(`openssl genpkey ${gen} -out sa.key 2>/dev/null`, 'openssl pkey -in sa.key -pubout -out sa.pub');
      continue;
    }
    lines.push(`openssl genpkey ${gen} -out ${f}.key 2>/dev/null`);
    if (s.kind === 'ca') {
      lines.push(`openssl req -x509 -new -key ${f}.key -subj '${subj(s)}' -days ${s.validityDays} -addext 'basicConstraints=critical,CA:TRUE' -addext 'keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign' -addext 'subjectAltName=DNS:${s.commonName}' -out ${f}.crt`);
      continue;
    }
    const san = [...s.sans.dns.map((d) => `DNS:${d}`), ...s.sans.ips.map((i) => `IP:${i}`)].join(',');
    const ext = [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      `extendedKeyUsage=${s.usages.join(',')}`,
      'authorityKeyIdentifier=keyid',
      ...(san ? [`subjectAltName=${san}`] : []),
    ].join('\n');
    lines.push(`printf '%s\\n' '${ext.replaceAll('\n', "' '")}' > ${f}.ext`);
    lines.push(`openssl req -new -key ${f}.key -subj '${subj(s)}' -out ${f}.csr`);
    lines.push(`openssl x509 -req -in ${f}.csr -CA ${s.signer}.crt -CAkey ${s.signer}.key -set_serial 0x$(openssl rand -hex 16 | sed 's/^./4/') -days ${s.validityDays} -extfile ${f}.ext -out ${f}.crt 2>/dev/null`);
  }
  return `${lines.join('\n')}\n`;
}

function verifyOpensslOutput(out, specs) {
  for (const s of specs.filter((x) => x.kind === 'leaf')) {
    const f = s.id.replace('@', '_');
    const r = spawnSync('openssl', ['verify', '-x509_strict', '-CAfile', join(out, `${s.signer}.crt`), join(out, `${f}.crt`)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`openssl reference produced a bad ${s.id}: ${r.stdout}${r.stderr}`);
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = [];
for (const alg of ALGS) {
  const dir = workspace(alg);
  const { inventory } = await loadInventory(join(dir, 'inventory.yaml'));
  const specs = certSpecs(loadCatalogue(), inventory);
  const keys = specs.length; // one key per certificate, plus the service-account key pair
  const script = join(dir, 'openssl-pki.sh');
  writeFileSync(script, opensslScript(alg, specs));
  const t = { kubesmith: [], floor: [], openssl: [], startup: [], alone: [] };
  for (let i = 0; i < RUNS; i++) {
    rmSync(join(dir, '.kubesmith'), { recursive: true, force: true });
    t.kubesmith.push(timed(process.execPath, [MAIN, 'pki', 'generate', '-i', join(dir, 'inventory.yaml')]));
    t.floor.push(timed(process.execPath, ['-e', FLOOR, alg, String(keys)]));
    t.startup.push(timed(process.execPath, [MAIN, '--version'])); // what the CLI costs before any command runs
    rmSync(join(dir, '.kubesmith'), { recursive: true, force: true });
    t.alone.push(timed(process.execPath, ['--input-type=module', '-e', ALONE, join(dir, 'inventory.yaml')]));
    const out = join(dir, `openssl-${i}`);
    mkdirSync(out);
    t.openssl.push(timed('bash', [script], { cwd: out }));
    if (i === 0) verifyOpensslOutput(out, specs); // the reference must really produce the same set
    rmSync(out, { recursive: true, force: true });
  }
  const issued = readdirSync(join(dir, '.kubesmith/demo/pki')).filter((n) => n.endsWith('.key')).length;
  if (issued !== keys) throw new Error(`kubesmith wrote ${issued} keys, expected ${keys}`);
  rows.push({ alg, keys, kubesmith: median(t.kubesmith), floor: median(t.floor), openssl: median(t.openssl), startup: median(t.startup), alone: median(t.alone) });
  rmSync(dir, { recursive: true, force: true });
}

const pad = (s, n) => String(s).padStart(n);
console.log(`kubesmith pki generate (whole process, fresh state) vs floor and openssl CLI: median of ${RUNS} runs, ${new Date().toISOString()}`);
console.log(['algorithm'.padEnd(11), pad('keys', 4), pad('kubesmith ms', 13), pad('floor ms', 9), pad('openssl ms', 11), pad('ks/floor', 9), pad('ks/openssl', 11), pad('cli --version ms', 17), pad('cmd alone ms', 13), '  target'].join(' '));
for (const r of rows) {
  const target = r.alg === 'ecdsa-p256' ? `< 500 ms: ${r.kubesmith < 500 ? 'met' : 'MISSED'}` : r.alg === 'rsa-2048' ? `<= 1.25x floor: ${r.kubesmith / r.floor <= 1.25 ? 'met' : 'MISSED'}` : '';
  console.log([r.alg.padEnd(11), pad(r.keys, 4), pad(r.kubesmith.toFixed(0), 13), pad(r.floor.toFixed(0), 9), pad(r.openssl.toFixed(0), 11), pad((r.kubesmith / r.floor).toFixed(2), 9), pad((r.kubesmith / r.openssl).toFixed(2), 11), pad(r.startup.toFixed(0), 17), pad(r.alone.toFixed(0), 13), `  ${target}`].join(' '));
}
mkdirSync(join(ROOT, 'bench/.work'), { recursive: true });
writeFileSync(join(ROOT, 'bench/.work/pki.json'), `${JSON.stringify({ runs: RUNS, rows }, null, 2)}\n`);
