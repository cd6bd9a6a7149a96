/**
 * `kubesmith pki adopt`: read an existing cluster's certificate directories (local, or read-only over
 * SSH from inventory hosts), print what kubesmith would keep, re-issue or is missing, and with
 * --write import into an empty state directory. Wiring only: the decisions are src/pki/adopt.ts,
 * local reading src/state/adopt-read.ts, remote reading src/deploy/ssh/read-tree.ts.
 */
import type { FoundFile, ServiceAccountChoice } from '../../pki/adopt-types.js';
import type { Inventory } from '../../inventory/types.js';
import { PkiError, StateError, UsageError } from '../../shared/errors.js';
import { boolOpt, stringOpt, type CommandContext } from '../command.js';
import { formatAdoptReport } from './_adopt-report.js';
import { parseFromOption, type AdoptSources } from './_adopt-sources.js';
import { println, readInventory } from './pki-shared.js';

function serviceAccountOpt(ctx: CommandContext): ServiceAccountChoice | undefined {
  const v = stringOpt(ctx, 'service-account');
  if (v === undefined || v === 'from-ca' || v === 'new') return v;
  throw new UsageError(`pki adopt --service-account ${v}: not a choice`, { hint: 'from-ca (the apiserver signs tokens with the kubernetes CA key, as the classic guides do) or new (every existing ServiceAccount token becomes invalid)' });
}

/** Reads every remote directory, host by host in parallel, over the transport apply uses (host keys checked). */
async function readRemote(ctx: CommandContext, inv: Inventory, remote: AdoptSources['remote']): Promise<{ files: FoundFile[]; problems: string[] }> {
  if (remote.size === 0) return { files: [], problems: [] };
  const [{ sshTransport }, { readOnlyView }, { readRemoteTree }] = await Promise.all([import('../ssh-transport.js'), import('../../deploy/ssh/host-reader.js'), import('../../deploy/ssh/read-tree.js')]);
  const transport = sshTransport(ctx.env, 'pki adopt');
  const results = await Promise.all(
    [...remote].map(async ([name, dirs]) => {
      const host = inv.hosts.find((h) => h.name === name)!;
      const conn = await transport.connect(host, ctx.signal);
      try {
        return { name, dirs, ...(await readRemoteTree(readOnlyView(conn), dirs, ctx.signal)) };
      } finally {
        await conn.close();
      }
    }),
  );
  const missing = results.flatMap((r) => r.missing.map((d) => `${r.name}:${d}`));
  if (missing.length > 0) throw new UsageError(`pki adopt --from ${missing.join(', ')}: not a directory on the host`, { hint: 'name the directories that hold the certificates (the classic guide: /opt/kubernetes/ssl and /opt/etcd/ssl); nothing was written' });
  return {
    files: results.flatMap((r) => r.files),
    problems: results.filter((r) => r.truncated).map((r) => `${r.name}: the answer for ${r.dirs.join(', ')} was cut at 16 MiB, so some files were not seen; point --from at the certificate directories themselves`),
  };
}

/** The command body; exit 0 when adoptable (and, with --write, imported), 1 with problems. */
export async function runPkiAdopt(ctx: CommandContext): Promise<number> {
  const write = boolOpt(ctx, 'write');
  const json = boolOpt(ctx, 'json');
  const saChoice = serviceAccountOpt(ctx);
  const raw = ctx.values.from;
  const fromValues = typeof raw === 'string' ? [raw] : Array.isArray(raw) ? raw : [];
  const modules = Promise.all([import('../../pki/adopt.js'), import('../../state/adopt-read.js'), import('../../state/load-catalogue.js'), import('../../state/pki-store.js'), import('../../state/node-sources.js')]);
  const inv = await readInventory(ctx);
  const sources = parseFromOption(fromValues, inv.hosts.map((h) => h.name));
  const [{ planAdoption }, { readLocalDirs, existingStateFiles }, { loadCatalogue }, { pkiStateDir, savePkiState }, { NodeClock }] = await modules;
  const dir = pkiStateDir(inv);
  const local = readLocalDirs(sources.local, ctx.cwd);
  const remote = await readRemote(ctx, inv, sources.remote);
  ctx.signal.throwIfAborted();
  const cli = `-i ${stringOpt(ctx, 'inventory', 'inventory.yaml')}`;
  const plan = planAdoption({ inventory: inv, catalogue: loadCatalogue(), files: [...local, ...remote.files], now: NodeClock.now(), stateDir: dir, cli, ...(saChoice ? { serviceAccount: saChoice } : {}) });
  const existing = existingStateFiles(dir);
  const problems = [
    ...remote.problems,
    ...plan.report.problems,
    ...(existing.length > 0
      ? [`${dir} already holds a PKI for cluster "${inv.cluster.name}" (${existing.slice(0, 4).join(', ')}${existing.length > 4 ? ` and ${existing.length - 4} more` : ''}): pki adopt never replaces a CA or key there. To replace one CA of that state on purpose: \`kubesmith pki generate ${cli} --new-ca NAME\` (backs up first); to adopt instead of that state, move ${dir} away (keep it: it holds CA keys) and run pki adopt --write again`]
      : []),
  ];
  const report = { ...plan.report, problems };
  const names = plan.writes.map((w) => w.name);
  const imported = write && problems.length === 0;
  if (imported) {
    // Checked again under the state lock: a `pki generate` that ran since must not be overwritten.
    savePkiState(dir, plan.writes, undefined, (names) => {
      if (names.length > 0) throw new StateError(`${dir}: a PKI appeared in the state directory while pki adopt ran (${names.slice(0, 4).join(', ')})`, { hint: 'nothing was written; run pki adopt again to see the report against it' });
    });
  }
  if (json) println(ctx, JSON.stringify({ kind: 'kubesmith.pki-adopt/v1', stateDir: dir, written: imported, files: problems.length === 0 ? names : [], ...report }, null, 2));
  else {
    const seen = [...sources.local, ...[...sources.remote].flatMap(([h, ds]) => ds.map((d) => `${h}:${d}`))];
    println(ctx, `pki adopt: ${local.length + remote.files.length} files read from ${seen.join(', ')}\n`);
    println(ctx, formatAdoptReport(report));
    if (imported) println(ctx, `\nwrote ${names.length} files to ${dir}: ${names.join(', ')}\nnext: \`kubesmith pki generate ${cli}\` issues the missing and re-issued certificates with the adopted CAs; \`kubesmith plan ${cli}\` shows what apply would change`);
    else if (problems.length === 0) println(ctx, `\nnothing was written (report only); --write imports ${names.length} files into ${dir}`);
  }
  if (problems.length > 0) {
    const n = `${problems.length} problem${problems.length === 1 ? '' : 's'}`;
    throw new PkiError(write ? `pki adopt: refused: ${n} (listed above under Problems)` : `pki adopt: ${n} to fix before --write can import (listed above under Problems)`, {
      hint: 'fix them and run pki adopt again; nothing was written',
    });
  }
  return 0;
}
