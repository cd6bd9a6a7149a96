/**
 * `kubesmith status`: one read-only view of the cluster. etcd members (health, leader, db size,
 * version) through SSH on each etcd host; /readyz of every control-plane host's apiserver through
 * SSH-forwarded channels to that apiserver itself (tunnelTarget); the controller-manager and
 * scheduler leaders; nodes and their conditions; pending CSRs with approve's decision; certificate
 * expiry from the local PKI state. Each section degrades on its own. Exit 0 healthy, 1 not (src/status/verdict.ts).
 */
import type { HostReader } from '../../deploy/ssh/connection.js';
import { readOnlyView } from '../../deploy/ssh/host-reader.js';
import { Ssh2Connection } from '../../deploy/ssh/ssh2-connection.js';
import { hostsWithRole, type InventoryHost } from '../../inventory/types.js';
import { checkPki } from '../../pki/check.js';
import type { Clock } from '../../shared/clock.js';
import { UsageError, formatIssue } from '../../shared/errors.js';
import { loadCatalogue } from '../../state/load-catalogue.js';
import { loadInventory } from '../../state/load-inventory.js';
import { NodeClock } from '../../state/node-sources.js';
import { loadPkiState, pkiStateDir } from '../../state/pki-store.js';
import type { ApiserverTarget } from '../../status/api-sections.js';
import { CERT_WARN_DAYS } from '../../status/certs.js';
import { collectStatus } from '../../status/collect.js';
import { etcdctlPaths, etcdEndpoint, type EtcdTarget } from '../../status/etcd.js';
import { formatStatusReport } from '../../status/format.js';
import { apiThroughHost, directApi, loadApiCredentials, type ApiCredentials, type OpenedApi, type TunnelOpener } from '../api-access.js';
import { boolOpt, stringOpt, type CommandContext } from '../command.js';
import { remoteCertsOn } from '../status-remote-certs.js';
import { openSshTunnel, parseServer } from './_kube-session.js';

/** An opened host and how to let it go. */
export interface OpenedHost {
  readonly reader: HostReader;
  close(): Promise<void>;
}

/** What the command needs from the outside world; tests replace parts of it. */
export interface StatusDeps {
  readonly clock: Clock;
  readonly openTunnel: TunnelOpener;
  readonly openHost: (host: InventoryHost, env: NodeJS.ProcessEnv, signal: AbortSignal) => Promise<OpenedHost>;
}

const DEFAULT_DEPS: StatusDeps = {
  clock: NodeClock,
  openTunnel: openSshTunnel,
  openHost: async (host, env, signal) => {
    const conn = await Ssh2Connection.connect(host, { env, signal, maxChannels: 2 });
    return { reader: readOnlyView(conn), close: () => conn.close() };
  },
};

/** A failed step as a value, so one host's failure stays in its row. */
const asError = (err: unknown): Error => (err instanceof Error ? err : new Error(String(err)));

/** The command body with injectable dependencies; exit 0 when healthy, 1 when not. */
export async function runStatus(ctx: CommandContext, deps: StatusDeps = DEFAULT_DEPS): Promise<number> {
  const serverText = stringOpt(ctx, 'server');
  const server = serverText === undefined ? undefined : parseServer(serverText);
  if (serverText !== undefined && !server) {
    throw new UsageError(`--server ${serverText} is not an https://HOST[:PORT] URL`, { hint: 'e.g. --server https://192.168.80.10:6443' });
  }
  const { inventory, warnings } = await loadInventory(stringOpt(ctx, 'inventory', 'inventory.yaml'), ctx.cwd);
  for (const w of warnings) ctx.stderr.write(`${formatIssue(w)}\n`);
  const opts = { clock: deps.clock, signal: ctx.signal, retryForMs: 3_000 };
  let creds: ApiCredentials | Error;
  try {
    creds = loadApiCredentials(inventory);
  } catch (err) {
    creds = asError(err);
  }
  const opened: Array<{ close(): Promise<void> }> = [];
  const keep = <T extends { close(): Promise<void> }>(x: T): T => (opened.push(x), x);
  try {
    const apiHosts = server ? [serverText ?? ''] : hostsWithRole(inventory, 'control-plane').map((h) => h.name);
    const apiWork = apiHosts.map(async (host): Promise<ApiserverTarget> => {
      if (creds instanceof Error) return { host, client: creds };
      try {
        const api: OpenedApi = server ? directApi(creds, server, opts) : await apiThroughHost(inventory, host, creds, deps.openTunnel, ctx.env, opts);
        return { host, client: keep(api).client };
      } catch (err) {
        return { host, client: asError(err) };
      }
    });
    const etcdWork = server
      ? undefined
      : hostsWithRole(inventory, 'etcd').map(async (h): Promise<EtcdTarget> => {
          const endpoint = etcdEndpoint(h.internalIP);
          try {
            return { host: h.name, endpoint, reader: keep(await deps.openHost(h, ctx.env, ctx.signal)).reader };
          } catch (err) {
            return { host: h.name, endpoint, reader: asError(err) };
          }
        });
    const now = deps.clock.now();
    const etcdTargets = etcdWork ? await Promise.all(etcdWork) : undefined;
    // The certificates on the etcd members, over the connections just opened (no new ones).
    const readers = new Map((etcdTargets ?? []).flatMap((t) => (t.reader instanceof Error ? [] : [[t.host, t.reader] as const])));
    const report = await collectStatus({
      inventory,
      now,
      apiservers: await Promise.all(apiWork),
      etcd: etcdTargets ?? { skipped: '--server reaches the API directly; etcd is checked through SSH only without --server' },
      ...(readers.size > 0 ? { remoteCerts: () => remoteCertsOn(inventory, readers, now, CERT_WARN_DAYS, ctx.signal) } : {}),
      etcdPaths: etcdctlPaths(inventory),
      ...(creds instanceof Error || !creds.token ? {} : { token: creds.token }),
      pkiRows: () => checkPki(loadCatalogue(), inventory, loadPkiState(pkiStateDir(inventory)), now),
      signal: ctx.signal,
    });
    ctx.stdout.write(boolOpt(ctx, 'json') ? `${JSON.stringify(report, null, 2)}\n` : formatStatusReport(report, now, ctx.color));
    return report.healthy ? 0 : 1;
  } finally {
    await Promise.allSettled(opened.map((o) => o.close()));
  }
}
