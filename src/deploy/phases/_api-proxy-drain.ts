/**
 * CONTROL_PLANE_ROLLING.drain: before a kube-apiserver restarts, every API proxy (the local nginx
 * on each node with ha: local-proxy, the load balancers' nginx with ha: vip) marks it `down` and
 * reloads; once the restarted apiserver is ready again, they put it back. nginx's stream proxy has
 * no health checks: without this it keeps sending new connections to an apiserver that is
 * shutting down or still starting (its port is open while /readyz says 500), and clients see
 * failed requests during a rolling restart that the other apiservers could have served.
 *
 * The file written is this run's render with the markers. A host's file is replaced only when,
 * with our `down` markers taken out, it is that render (sha256) or an earlier kubesmith render of
 * it (kubesmith's header on the first line): the upstream list of a proxy that does not yet
 * know a control plane this run adds (or still lists one it drops) is brought up to date here,
 * before the restarts, so the other apiservers carry the traffic (the nodes phase would write the
 * same render later, after the restarts: too late). Anything else is left alone and reported;
 * a missing file is a host whose proxy is new and does not run yet. A reload keeps established
 * connections on the old workers until they end (the apiserver closes them as it stops), so the
 * step waits until the old workers stopped accepting and a new one runs. An interrupted run
 * leaves a marked file behind: the next run's drain or restore normalises it, and the nodes phase
 * rewrites a file that differs from the render.
 */
import type { ClusterPlan } from '../../plan/types.js';
import type { ProxyDrain, Step } from '../phase.js';
import { nginx } from '../../render/escape.js';
import { hostPart } from '../../render/endpoints.js';
import { remoteLayout } from '../../render/layout.js';
import { lbPaths } from '../../render/views/apiserver-lb.js';

/** The nginx configs kubesmith renders that list every apiserver, with the unit that runs each. */
const PROXY_UNITS = (plan: ClusterPlan) => {
  const p = lbPaths(remoteLayout(plan.inventory));
  return new Map<string, string>([
    [p.localProxyConf, 'kubesmith-apiserver-proxy.service'],
    [p.vipNginxConf, 'kubesmith-apiserver-lb.service'],
  ]);
};

/**
 * Removes our markers, then marks the servers named in `down` (space-separated nginx words):
 * `server 10.0.0.1:6443 max_fails=...` <-> `server 10.0.0.1:6443 down max_fails=...`.
 * Plain POSIX awk (mawk, gawk and busybox take it); index/substr, no regex on addresses.
 */
const MARK_AWK = `BEGIN { n = split(down, d, " "); for (i = 1; i <= n; i++) mark[d[i]] = 1 }
$1 == "server" && $3 == "down" { p = index($0, " down "); $0 = substr($0, 1, p - 1) substr($0, p + 5) }
$1 == "server" && ($2 in mark) { p = index($0, $2) + length($2) - 1; $0 = substr($0, 1, p) " down" substr($0, p + 1) }
{ print }`;

/**
 * $1 config, $2 unit, $3 sha256 of the rendered config, $4 the rendered config, $5... upstream
 * words to mark down (none: put every apiserver back). Exit 0: done (or nothing to do); 3: the
 * file is not a kubesmith render.
 */
export const PROXY_DRAIN_SH = `set -u
conf=$1 unit=$2 want=$3 render=$4; shift 4
[ -f "$conf" ] || exit 0
awk_mark() { awk -v down="$1" '${MARK_AWK}'; }
have=$(awk_mark '' < "$conf" | sha256sum | cut -c1-64)
if [ "$have" != "$want" ]; then
  case "$(head -n 1 "$conf")" in
  "# Rendered by kubesmith."*) ;;
  *) echo "$conf is neither the config kubesmith renders (sha256 $have, rendered $want) nor one it rendered before (no kubesmith header): left alone" >&2; exit 3 ;;
  esac
fi
tmp="$conf.kubesmith-drain"
printf '%s' "$render" | awk_mark "$*" > "$tmp" || { rm -f "$tmp"; exit 1; }
if cmp -s "$tmp" "$conf"; then rm -f "$tmp"; exit 0; fi
chmod 644 "$tmp" && mv -f "$tmp" "$conf" || { rm -f "$tmp"; exit 1; }
pid=$(systemctl show -p MainPID --value "$unit" 2>/dev/null)
[ "\${pid:-0}" -gt 0 ] 2>/dev/null || exit 0
kids() { cat "/proc/$pid/task/$pid/children" 2>/dev/null || pgrep -P "$pid" 2>/dev/null | tr '\\n' ' '; }
old=$(kids)
systemctl reload "$unit" || exit 1
[ -n "$old" ] || { sleep 1; exit 0; }
i=0
while [ $i -lt 200 ]; do
  fresh=0 busy=0
  for k in $(kids); do
    case " $old " in *" $k "*) grep -q 'shutting down' "/proc/$k/cmdline" 2>/dev/null || busy=1 ;; *) fresh=1 ;; esac
  done
  [ $fresh = 1 ] && [ $busy = 0 ] && exit 0
  sleep 0.05; i=$((i + 1))
done
echo "nginx ($unit) did not take the new configuration within 10 s: see journalctl -u $unit" >&2; exit 1`;

/** The nginx word of a control-plane host in the upstream blocks (apiserverUpstreams, as rendered). */
function upstreamWord(plan: ClusterPlan, host: string): string | undefined {
  const h = plan.inventory.hosts.find((x) => x.name === host);
  return h && h.roles.includes('control-plane') ? nginx(`${hostPart(h.internalIP)}:${plan.inventory.cluster.apiServer.port}`) : undefined;
}

/** Per proxy host: the step that marks `drained` down (empty: puts every apiserver back). */
export function apiProxyDrainSteps(plan: ClusterPlan, drained: readonly string[]): ReadonlyMap<string, readonly Step[]> {
  const units = PROXY_UNITS(plan);
  const words = drained.flatMap((h) => upstreamWord(plan, h) ?? []);
  const out = new Map<string, readonly Step[]>();
  for (const planned of plan.hosts) {
    for (const a of planned.artifacts) {
      const unit = units.get(a.path);
      if (unit === undefined || a.sha256 === undefined) continue;
      const why = drained.length ? `take ${drained.join(', ')} out of this host's API proxy while ${drained.length > 1 ? 'they restart' : 'it restarts'}` : 'put every kube-apiserver back into this host\'s API proxy';
      const label = drained.length ? `mark ${drained.join(', ')} down in ${a.path}, reload ${unit}` : `put every kube-apiserver back in ${a.path}, reload ${unit}`;
      // Not drained is what every restart was before this existed: a warning, not a stop. Not put back is a stop (rolling-drain.ts).
      const tolerate = drained.length ? `not drained: this host's API proxy keeps sending to ${drained.join(', ')} while ${drained.length > 1 ? 'they restart' : 'it restarts'}` : undefined;
      if (typeof a.content !== 'string') continue;
      const step: Step = { kind: 'exec', argv: ['sh', '-c', PROXY_DRAIN_SH, 'proxy-drain', a.path, unit, a.sha256, a.content, ...words], why, label, ...(tolerate ? { tolerate } : {}) };
      out.set(planned.host.name, [...(out.get(planned.host.name) ?? []), step]);
    }
  }
  return out;
}

/** The control plane's drain: every API proxy of the plan. */
export const API_PROXY_DRAIN: ProxyDrain = {
  what: 'taken out of every API proxy (nginx) before its restart and put back once ready',
  steps: apiProxyDrainSteps,
};
