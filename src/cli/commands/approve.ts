/**
 * `kubesmith approve`: approves kubelet CSRs that match the inventory and nothing else (decideCsr),
 * printing a `kubectl get csr`-like table with kubesmith's decision and reason. Reaches the API
 * through SSH to the first control-plane host (its 127.0.0.1:<port>), or directly with --server.
 */
import type { Duplex } from 'node:stream';
import { openClient } from '../../deploy/ssh/open-client.js';
import type { Inventory } from '../../inventory/types.js';
import { hostsWithRole } from '../../inventory/types.js';
import { approveCsrs, type ApproveOutcome, type ApproveRound } from '../../kube/approve-csrs.js';
import { KubeClient } from '../../kube/client.js';
import { formatCsrTable } from '../../kube/csr-table.js';
import { createHttpsTransport, type TlsCredentials, type TransportTarget } from '../../kube/https-transport.js';
import type { ApiTunnel } from '../../kube/types.js';
import { parseToken } from '../../pki/bootstrap-token.js';
import type { Clock } from '../../shared/clock.js';
import { InventoryError, PhaseError, StateError, UsageError } from '../../shared/errors.js';
import { loadInventory } from '../../state/load-inventory.js';
import { NodeClock } from '../../state/node-sources.js';
import { loadPkiState, pkiStateDir } from '../../state/pki-store.js';
import { INVENTORY_OPTION, JSON_OPTION, boolOpt, stringOpt, type Command, type CommandContext } from '../command.js';

/** What the command needs from the outside world; tests replace parts of it. */
export interface ApproveDeps {
  readonly clock: Clock;
  /** Opens the SSH tunnel to a control-plane host's apiserver. */
  readonly openTunnel: (inventory: Inventory, host: string, env: NodeJS.ProcessEnv, signal: AbortSignal) => Promise<ApiTunnel>;
  /** Poll interval for --watch. */
  readonly pollMs: number;
}

/**
 * SSH to `hostName` and forward each API connection to its 127.0.0.1:<apiServer.port>: the
 * apiserver's certificate names 127.0.0.1, and no apiserver port has to be reachable from here.
 */
async function openSshTunnel(inventory: Inventory, hostName: string, env: NodeJS.ProcessEnv, signal: AbortSignal): Promise<ApiTunnel> {
  const host = inventory.hosts.find((h) => h.name === hostName);
  if (!host) throw new UsageError(`approve: host ${hostName} is not in the inventory`);
  const { client, bastion } = await openClient(host, env, signal);
  const port = inventory.cluster.apiServer.port;
  return {
    verifyName: '127.0.0.1',
    describe: `https://127.0.0.1:${port} via ssh ${host.name}`,
    connect: () =>
      new Promise<Duplex>((resolve, reject) => {
        client.forwardOut('127.0.0.1', 0, '127.0.0.1', port, (err, channel) => (err ? reject(err) : resolve(channel)));
      }),
    close: async () => {
      client.end();
      bastion?.end();
    },
  };
}

const DEFAULT_DEPS: ApproveDeps = { clock: NodeClock, openTunnel: openSshTunnel, pollMs: 3000 };

/** "10m", "90s", "1h30m" -> milliseconds. */
export function parseDuration(text: string): number | undefined {
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text.trim());
  if (!m || text.trim() === '') return undefined;
  return ((Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0)) * 60 + Number(m[3] ?? 0)) * 1000;
}

/** "https://10.0.0.1:6443" -> host and port (default 6443). */
export function parseServer(text: string): { host: string; port: number } | undefined {
  try {
    const u = new URL(text);
    if (u.protocol !== 'https:' || u.pathname.replace(/\/$/, '') !== '' || u.search !== '') return undefined;
    return { host: u.hostname.replace(/^\[|\]$/g, ''), port: u.port === '' ? 6443 : Number(u.port) };
  } catch {
    return undefined;
  }
}

/** The cluster CA and the admin client certificate from the local PKI state. */
function credentialsFrom(inventory: Inventory): { creds: TlsCredentials; tokenIds?: readonly string[] } {
  const state = loadPkiState(pkiStateDir(inventory));
  const ca = state.pairs.get('kubernetes-ca')?.certPem;
  const admin = state.pairs.get('admin');
  if (!ca || !admin?.certPem || !admin.keyPem) {
    throw new StateError(`${state.dir}: no kubernetes CA or admin certificate in the PKI state`, {
      hint: 'run `kubesmith pki generate -i <inventory>` (or `kubesmith apply`) first',
    });
  }
  const token = state.bootstrapTokenJson === undefined ? undefined : parseToken(state.bootstrapTokenJson);
  return { creds: { caPem: ca, certPem: admin.certPem, keyPem: admin.keyPem }, ...(token ? { tokenIds: [token.id] } : {}) };
}

/** The command body with injectable dependencies. */
export async function runApprove(ctx: CommandContext, deps: ApproveDeps = DEFAULT_DEPS): Promise<number> {
  const timeoutText = stringOpt(ctx, 'timeout', '10m');
  const timeoutMs = parseDuration(timeoutText);
  if (timeoutMs === undefined) throw new UsageError(`approve: --timeout ${timeoutText} is not a duration`, { hint: 'use e.g. 90s, 10m or 1h' });
  const serverText = stringOpt(ctx, 'server');
  const server = serverText === undefined ? undefined : parseServer(serverText);
  if (serverText !== undefined && !server) {
    throw new UsageError(`approve: --server ${serverText} is not an https://HOST[:PORT] URL`, { hint: 'e.g. --server https://192.168.80.10:6443' });
  }
  const file = stringOpt(ctx, 'inventory', 'inventory.yaml');
  const { inventory } = await loadInventory(file, ctx.cwd);
  const { creds, tokenIds } = credentialsFrom(inventory);
  let tunnel: ApiTunnel | undefined;
  let target: TransportTarget;
  if (server) {
    target = { kind: 'direct', ...server };
  } else {
    const leader = hostsWithRole(inventory, 'control-plane')[0];
    if (!leader) throw new InventoryError(file, []);
    tunnel = await deps.openTunnel(inventory, leader.name, ctx.env, ctx.signal);
    target = { kind: 'stream', connect: tunnel.connect, verifyName: tunnel.verifyName, describe: tunnel.describe };
  }
  try {
    const client = new KubeClient({
      transport: createHttpsTransport(creds, target),
      clock: deps.clock,
      signal: ctx.signal,
      retryForMs: Math.min(timeoutMs, 120_000),
    });
    const json = boolOpt(ctx, 'json');
    let lastTable = '';
    const outcome = await approveCsrs({
      client,
      inventory,
      clock: deps.clock,
      denyUnknown: boolOpt(ctx, 'deny-unknown'),
      watch: boolOpt(ctx, 'watch'),
      timeoutMs,
      pollMs: deps.pollMs,
      signal: ctx.signal,
      ...(tokenIds ? { bootstrapTokenIds: tokenIds } : {}),
      onRound: (round) => {
        if (json) return;
        const table = formatCsrTable(round.rows);
        if (table !== lastTable) ctx.stdout.write(`${lastTable === '' ? '' : '\n'}${table}`);
        lastTable = table;
      },
    });
    if (json) ctx.stdout.write(`${JSON.stringify(jsonReport(outcome), null, 2)}\n`);
    else ctx.stderr.write(summary(outcome.last, boolOpt(ctx, 'deny-unknown')));
    if (outcome.timedOut) throw timeoutError(outcome, timeoutText);
    return 0;
  } finally {
    await tunnel?.close();
  }
}

function jsonReport(o: ApproveOutcome): unknown {
  return { complete: o.complete, timedOut: o.timedOut, rounds: o.rounds, csrs: o.last.rows, nodes: o.last.nodes };
}

function summary(round: ApproveRound, denyUnknown: boolean): string {
  const pending = round.rows.filter((r) => r.decision === 'ignore' && r.kind !== 'other').length;
  const missing = round.nodes.filter((n) => !n.client || !n.serving).map((n) => n.node);
  const lines = [
    `${round.nodes.length - missing.length}/${round.nodes.length} nodes have issued client and serving certificates${missing.length ? ` (missing: ${missing.join(', ')})` : ''}`,
  ];
  if (pending > 0 && !denyUnknown) {
    lines.push(`${pending} kubelet CSR${pending === 1 ? '' : 's'} left pending (see REASON): approve by hand with \`kubectl certificate approve NAME\` if legitimate, or rerun with --deny-unknown`);
  }
  return `${lines.join('\n')}\n`;
}

function timeoutError(o: ApproveOutcome, timeoutText: string): PhaseError {
  const failures = o.last.nodes
    .filter((n) => !n.client || !n.serving)
    .map((n) => ({
      host: n.node,
      step: 'kubelet certificates',
      error: new Error(`no issued ${[n.client ? '' : 'client', n.serving ? '' : 'serving'].filter(Boolean).join(' or ')} certificate after ${timeoutText}`),
    }));
  return new PhaseError('approve', failures, {
    hint: 'check the kubelet on those hosts (`journalctl -u kubelet`): it needs the bootstrap kubeconfig and serverTLSBootstrap: true; CSRs left pending are listed above with their reason',
  });
}

export const approveCommand: Command = {
  name: 'approve',
  summary: 'approve kubelet CSRs that match the inventory (client and serving), and only those',
  usage: '-i FILE [--watch] [--timeout 10m] [--deny-unknown] [--server https://HOST:PORT] [--json]',
  description:
    'Lists CertificateSigningRequests and approves those a kubelet of an inventory node sent: signer,\n' +
    'requester, CN/O, SANs (node name and addresses only), usages and duration are all checked.\n' +
    'Others stay pending with the reason shown (denied only with --deny-unknown; other signers are never touched).\n' +
    'Talks to the apiserver through SSH to the first control-plane host, or directly with --server.',
  options: {
    inventory: INVENTORY_OPTION,
    watch: { type: 'boolean', description: 'repeat until every node has an issued client and serving certificate' },
    timeout: { type: 'string', description: 'with --watch: give up after this long', defaultText: '10m' },
    'deny-unknown': { type: 'boolean', description: 'deny kubelet CSRs that fail a check instead of leaving them pending' },
    server: { type: 'string', description: 'reach the apiserver directly at this URL instead of through SSH' },
    json: JSON_OPTION,
  },
  run: (ctx) => runApprove(ctx),
};
