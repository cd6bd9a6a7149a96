// Records what real hosts answer during `kubesmith apply --dry-run` (dist/, the command body the
// CLI runs), for bench/scale's simulated fleet: the SSH transport is wrapped so that every
// read-only call a dry-run makes (probe, stat) is written down with its answer, per host.
// Usage (from record.bench-run.ts): node record.mjs DIR INVENTORY OUT.json
// Prints the dry-run's own output on stderr; writes {hosts: {name: [calls...]}} to OUT.json.
import { setMaxListeners } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = new URL('../../', import.meta.url).pathname;
const [dir, inventory, out] = process.argv.slice(2);
const { runApply } = await import(join(ROOT, 'dist/cli/commands/apply.js'));
const { sshTransport } = await import(join(ROOT, 'dist/cli/ssh-transport.js'));

const calls = {};
/** The connection with its read-only calls recorded; every other call is refused (a dry-run makes none). */
function recording(conn) {
  const log = (calls[conn.name] ??= []);
  const refuse = (what) => () => Promise.reject(new Error(`record.mjs: a dry-run called ${what} on ${conn.name}`));
  return {
    name: conn.name,
    async probe(argv, opts) {
      const r = await conn.probe(argv, opts);
      log.push({ op: 'probe', argv: [...argv], exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr });
      return r;
    },
    async stat(paths, opts) {
      const r = await conn.stat(paths, opts);
      log.push({ op: 'stat', paths: [...paths], found: Object.fromEntries(r) });
      return r;
    },
    exec: refuse('exec'),
    writeFile: refuse('writeFile'),
    download: refuse('download'),
    close: () => conn.close(),
  };
}

const transport = (env, holder) => {
  const ssh = sshTransport(env, holder);
  return {
    connect: async (host, signal, onWait) => recording(await ssh.connect(host, signal, onWait)),
    lock: () => Promise.reject(new Error('record.mjs: a dry-run takes no lock')),
  };
};

const controller = new AbortController();
setMaxListeners(0, controller.signal);
const ctx = {
  values: { inventory, 'dry-run': true },
  positionals: [],
  stdout: process.stderr,
  stderr: process.stderr,
  env: { ...process.env, NO_COLOR: '1', CI: '1' },
  cwd: dir,
  signal: controller.signal,
  color: false,
  isTTY: false,
  debug: false,
};
const code = await runApply(ctx, { transport });
writeFileSync(out, JSON.stringify({ hosts: calls }));
process.exit(code);
