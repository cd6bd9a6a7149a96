/**
 * `kubesmith apply`: inventory -> PKI (saved before any host is touched) -> plan -> verified offline
 * bundle -> phases over SSH. `--dry-run` connects and reads only: no file, no temp file, no lock.
 */
import { join } from 'node:path';
import { hostname, userInfo } from 'node:os';
import type { Command, CommandContext } from '../command.js';
import type { Transport } from '../../deploy/runner.js';
import { boolOpt, INVENTORY_OPTION, stringOpt } from '../command.js';
import { formatIssue } from '../../shared/errors.js';
import { backupStamp } from '../../plan/etcd-backup-names.js';
import { DRAIN_OPTIONS, drainOptions } from '../drain-options.js';

/** `--only a,b --only c` -> names; an empty or repeated name is a usage error (parseList). */
async function listOpt(ctx: CommandContext, name: string): Promise<readonly string[] | undefined> {
  const v = ctx.values[name];
  const { parseList } = await import('../../deploy/phases/select.js');
  return parseList(`--${name}`, typeof v === 'string' ? [v] : Array.isArray(v) ? v : undefined);
}

export const applyCommand: Command = {
  name: 'apply',
  summary: 'install or update the cluster on its hosts over SSH (idempotent; --dry-run reads only)',
  usage: '-i FILE [--dry-run] [--only PHASES] [--skip PHASES] [--limit HOSTS] [--no-etcd-snapshot] [--no-drain] [--drain-timeout 5m] [--force] [--delete-emptydir-data] [--verbose]',
  description: [
    'Phases: connect, lock, gather-facts, preflight, prepare-hosts, binaries, certificates, etcd,',
    'control-plane, cluster-bootstrap, nodes, approve-kubelet-csrs, verify. The API phases (bootstrap',
    'token and RBAC, flannel, CoreDNS; kubelet CSR approval) are skipped with the reason when the',
    'bundle\'s Kubernetes binaries do not run. A host that fails does not stop the others; every failure is',
    'listed at the end. A second apply changes nothing and restarts nothing. Before it restarts a running',
    'etcd member (one at a time), it takes a verified etcd snapshot and copies it to',
    '<state dir>/backups/etcd (as `kubesmith etcd snapshot` does); --no-etcd-snapshot skips it. Every command that',
    'touches hosts writes a JSON log to <inventory dir>/.kubesmith/<cluster>/logs/.',
    'A new kubernetesVersion (one minor at a time) or etcdVersion upgrades in the order of the version skew',
    'policy: etcd members one at a time, then each control plane, then nodes in batches, each node cordoned',
    'and drained (PodDisruptionBudgets hold; --drain-timeout, --force, --delete-emptydir-data as for',
    '`kubesmith remove`; --no-drain skips it) and uncordoned once Ready on the new version.',
  ].join('\n'),
  options: {
    inventory: INVENTORY_OPTION,
    'dry-run': { type: 'boolean', description: 'connect and read only; print every step as new / changed / unchanged' },
    only: { type: 'string', multiple: true, description: 'run only these phases (comma-separated; connect, lock and gather-facts always run)' },
    skip: { type: 'string', multiple: true, description: 'skip these phases (comma-separated)' },
    limit: { type: 'string', multiple: true, description: 'work only on these hosts (comma-separated names)' },
    'no-etcd-snapshot': { type: 'boolean', description: 'restart running etcd members without taking a snapshot first (default: one is copied to <state dir>/backups/etcd)' },
    'no-drain': { type: 'boolean', description: 'upgrade kubelets without cordoning and draining their nodes (running pods survive a kubelet restart)' },
    ...DRAIN_OPTIONS,
    verbose: { type: 'boolean', description: 'also print unchanged steps' },
  },
  run: (ctx) => runApply(ctx),
};

/** What `apply` needs from the outside world besides the context; the scale bench replaces the SSH transport with fake hosts. */
export interface ApplyDeps {
  /** The hosts' transport. @default SSH (cli/ssh-transport.ts) */
  readonly transport?: (env: NodeJS.ProcessEnv, holder: string) => Transport;
}

/** The body of `kubesmith apply`. */
export async function runApply(ctx: CommandContext, deps: ApplyDeps = {}): Promise<number> {
  const dryRun = boolOpt(ctx, 'dry-run');
  // The selection is checked before anything is computed or written: a usage error saves no PKI.
  const [only, skip, limit] = [await listOpt(ctx, 'only'), await listOpt(ctx, 'skip'), await listOpt(ctx, 'limit')];
  const { loadInventory } = await import('../../state/load-inventory.js');
  const { inventory: inv, warnings } = await loadInventory(stringOpt(ctx, 'inventory', 'inventory.yaml'), ctx.cwd);
  for (const w of warnings) ctx.stderr.write(`${formatIssue(w)}\n`);
  // First what checks the selection and opens the connections, so the logins start before the
  // heavier modules (yaml catalogue, templates, pino) load; the selection is still checked first.
  const [{ applyPhases }, { sshTransport }, { applyApi }, { checkHostNames, checkSelection, selectHosts, selectPhases }, { earlyConnect }] = await Promise.all([
    import('../../deploy/phases/index.js'),
    import('../ssh-transport.js'),
    import('../apply-api.js'),
    import('../../deploy/phases/select.js'),
    import('../early-connect.js'),
  ]);
  // The API phases (cluster-bootstrap, approve-kubelet-csrs) forward over the run's SSH connections.
  const api = applyApi(ctx.env);
  const phases = applyPhases(api.access, {}, boolOpt(ctx, 'no-drain') ? false : drainOptions(ctx, 'apply'));
  const selected = selectPhases(phases, only, skip);
  checkHostNames(inv.hosts.map((h) => h.name), limit);
  // SSH logins begin now and overlap with the PKI, templates, plan and bundle check below
  // (early-connect.ts); the connect phase takes them over, and an error before it closes them.
  const early = earlyConnect((deps.transport ?? sshTransport)(ctx.env, `${userInfo().username}@${hostname()} pid ${process.pid}`), inv.hosts.filter((h) => limit?.includes(h.name) ?? true), ctx.signal, { lock: !dryRun });
  try {
    const [{ ensurePki }, { loadCatalogue }, { loadPkiState, pkiStateDir, savePkiState }, { stateDir, bundleDir }, { loadTemplates }, { buildPlan }, { loadBundleWithImages, withoutImages }, { bundleNeeds }, { runPhases }, { NodeClock, NodeEntropy, NodeKeySource }, { createReporter }, { openRunLog, withRunLog }, { abortableKeys, untilAborted }] =
      await Promise.all([
        import('../../pki/ensure.js'),
        import('../../state/load-catalogue.js'),
        import('../../state/pki-store.js'),
        import('../../state/paths.js'),
        import('../../state/load-templates.js'),
        import('../../plan/build-plan.js'),
        import('../../state/bundle-images.js'),
        import('../../state/bundle-resolve.js'),
        import('../../deploy/runner.js'),
        import('../../state/node-sources.js'),
        import('../reporter.js'),
        import('../log.js'),
        import('../abort.js'),
      ]);
    // PKI first and saved before any host is changed (the logins above run only a no-op): a crash leaves a reusable CA, never
    // half-distributed material from an unsaved one. Dry-run computes but saves nothing. Key
    // generation stops on Ctrl-C, and nothing is saved once the run was stopped.
    const pkiDir = pkiStateDir(inv);
    const pki = await ensurePki(inv, loadCatalogue(), loadPkiState(pkiDir), { clock: NodeClock, entropy: NodeEntropy, keys: abortableKeys(NodeKeySource, ctx.signal) });
    const templates = loadTemplates();
    // One engine: each template compiles once, and equal views render once.
    const { createEngine } = await import('../../render/engine.js');
    const engine = createEngine(templates);
    // Keyless mode leaves the bundle incomplete: no plan can be built from it (blocked below).
    // The listing names the bundle's containerd tarball, whose release sets the containerd config version.
    const { readBundleListing } = await import('../../state/bundle-listing.js');
    const listing = readBundleListing(bundleDir(inv));
    const draft = pki.blocked.length === 0 ? buildPlan({ inventory: inv, pki: pki.bundle, pkiDecisions: pki.decisions, templates, engine, bundle: listing }) : undefined;
    if (draft) checkSelection(draft, selected, selectHosts(draft, limit));
    // A version change the skew policy does not allow is refused before anything is written.
    const { gateUpgrade } = await import('../../state/upgrade-gate.js');
    const upgrade = gateUpgrade(inv, pki.bundle.identity?.versions);
    ctx.signal.throwIfAborted();
    if (!dryRun) savePkiState(pkiDir, pki.writes);
    if (pki.blocked.length > 0 || draft === undefined) {
      const { blockedError } = await import('../../pki/keyless.js');
      throw blockedError(dryRun ? 'apply --dry-run' : 'apply', pkiDir, pki.blocked, pki.bundle, 'no host was touched');
    }
    const wanted = new Set(limit ?? draft.hosts.map((h) => h.host.name));
    const needs = bundleNeeds({ ...draft, hosts: draft.hosts.filter((h) => wanted.has(h.host.name)) });
    // Image tarballs are required only with real Kubernetes binaries (a missing one fails here, before any host is touched).
    // Verifying a large bundle takes a while: a stop does not wait for it (its cache writes are atomic).
    const bundle = await untilAborted(loadBundleWithImages(inv, { dir: bundleDir(inv), cacheDir: join(stateDir(inv), 'cache', 'bundle'), needs }), ctx.signal);
    // The draft with the bundle's binaries resolved: every other file is rendered once (with-binaries.ts).
    const { withBinaries } = await import('../../plan/with-binaries.js');
    const built = withBinaries(draft, bundle.binaries);
    const plan = bundle.imagesSkipped === undefined ? built : withoutImages(built);
    if (bundle.imagesSkipped !== undefined) ctx.stderr.write(`note: ${bundle.imagesSkipped}\n`);

    for (const line of upgrade.lines) ctx.stderr.write(`upgrade: ${line}\n`);
    const log = openRunLog(stateDir(inv), NodeClock.now(), [pki.bundle.bootstrapToken.secret]);
    const reporter = createReporter({ out: ctx.stderr, live: ctx.isTTY && ctx.env.CI === undefined, color: ctx.color, verbose: boolOpt(ctx, 'verbose') });
    log.info('apply', { inventory: inv.source, dryRun, only: only ?? [], skip: skip ?? [], limit: limit ?? [] });
    // The first phase past the gates (connect .. preflight) may write to hosts: from then on this
    // state directory is deployed, and its CAs and sa.key may never be minted again (cluster.json).
    const gates = new Set(phases.filter((p) => p.gate).map((p) => p.id));
    let deployed = dryRun;
    const { recordDeployment, recordEtcdMembers } = await import('../../state/pki-flow.js');
    const { etcdBootstraps } = await import('../../render/etcd-membership.js');
    // The etcd members this run started, recorded with what they started on (a joiner stays `existing`).
    const bootstraps = etcdBootstraps(inv, pki.bundle.identity?.etcdMembers).members;
    let etcdHosts: readonly string[] = [];
    await withRunLog(log, reporter, ctx.stderr, () =>
      runPhases({
        plan,
        phases,
        ...(only ? { only } : {}),
        ...(skip ? { skip } : {}),
        ...(limit ? { limit } : {}),
        dryRun,
        transport: api.record(early),
        emit: (e) => {
          if (!deployed && e.type === 'phase-start' && !gates.has(e.phase)) {
            deployed = true;
            recordDeployment(pkiDir, NodeClock.now());
          }
          if (e.type === 'phase-start' && e.phase === 'etcd') etcdHosts = e.hosts;
          if (!dryRun && e.type === 'phase-done' && e.phase === 'etcd') {
            recordEtcdMembers(pkiDir, new Map(etcdHosts.filter((h) => !e.failed.includes(h)).flatMap((h) => { const b = bootstraps.get(h); return b ? [[h, b] as const] : []; })));
          }
          reporter(e);
          log.event(e);
        },
        signal: ctx.signal,
        clock: NodeClock,
        // Before apply restarts a running etcd member (rolling restart), a verified snapshot.
        ...(boolOpt(ctx, 'no-etcd-snapshot') ? {} : { etcdSnapshot: { dir: join(stateDir(inv), 'backups', 'etcd'), stamp: backupStamp(NodeClock.now()) } }),
      }),
    );
    if (!dryRun && !only && !skip && !limit) {
      // Every host succeeded (runPhases throws otherwise) and none was left out: they all run these versions now.
      const { recordVersions } = await import('../../state/pki-flow.js');
      recordVersions(pkiDir, { kubernetes: inv.cluster.kubernetesVersion, etcd: inv.cluster.etcdVersion });
    }
    if (!dryRun) {
      const { noteRotationApplied } = await import('./_rotation-apply.js');
      for (const line of await noteRotationApplied(pkiDir, pki.bundle.rotation, { only, skip, limit }, inv.source, NodeClock.now())) ctx.stderr.write(`${line}\n`);
    }
    // The operator's way in, as kubeadm's admin.conf: never on a host, never over a file kubesmith did not write.
    if (!dryRun) {
      const { saveAdminKubeconfig, adminKubeconfigLine } = await import('../../state/admin-kubeconfig.js');
      ctx.stderr.write(`${adminKubeconfigLine(saveAdminKubeconfig(inv, pki.bundle, templates))}\n`);
    }
  } finally {
    await early.discard();
  }
  return 0;
}
