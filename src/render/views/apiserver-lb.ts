/**
 * Load balancing in front of kube-apiserver: the per-node local proxy (ha: local-proxy) and the
 * VIP pair (ha: vip, keepalived + nginx on the `loadbalancer` hosts, as in the classic guide).
 * Both use nginx's stream (TCP) module: TLS passes through untouched, so clients still verify the
 * apiserver certificate and present their own client certificates end to end.
 */
import type { Inventory, InventoryHost } from '../../inventory/types.js';
import { hostsWithRole } from '../../inventory/types.js';
import { apiserverUpstreams } from '../endpoints.js';
import type { RemoteLayout } from '../layout.js';
import { InternalError } from '../../shared/errors.js';
import type { UnitView } from './unit-view.js';

/**
 * Executables from the OS packages (nginx, keepalived); not shipped in the bundle. Debian builds
 * the stream module as a dynamic module, so the config loads it explicitly.
 */
export const LB_EXECUTABLES = {
  nginx: '/usr/sbin/nginx',
  nginxStreamModule: '/usr/lib/nginx/modules/ngx_stream_module.so',
  keepalived: '/usr/sbin/keepalived',
} as const;

/** View of manifests/nginx-stream.conf.hbs. */
export interface NginxStreamView {
  /** Dynamic modules to load (load_module). */
  readonly loadModules: readonly string[];
  readonly pidFile: string;
  readonly listen: string;
  readonly upstreams: readonly string[];
}

/** Paths of the proxy/LB files. */
export function lbPaths(layout: RemoteLayout) {
  return {
    localProxyConf: `${layout.k8sCfg}/apiserver-proxy.conf`,
    vipNginxConf: `${layout.lbCfg}/nginx.conf`,
    keepalivedConf: `${layout.lbCfg}/keepalived.conf`,
  } as const;
}

/** The local proxy on a node: 127.0.0.1:<port> -> every kube-apiserver (see endpoints.ts). */
export function localProxyView(inv: Inventory): NginxStreamView {
  return {
    loadModules: [LB_EXECUTABLES.nginxStreamModule],
    pidFile: '/run/kubesmith-apiserver-proxy.pid',
    listen: `127.0.0.1:${inv.cluster.apiServer.port}`,
    upstreams: apiserverUpstreams(inv),
  };
}

/** nginx on a load-balancer host: <any>:<vipPort> -> every kube-apiserver. */
export function vipNginxView(inv: Inventory): NginxStreamView {
  return {
    loadModules: [LB_EXECUTABLES.nginxStreamModule],
    pidFile: '/run/kubesmith-apiserver-lb.pid',
    listen: `${inv.cluster.apiServer.vipPort}`,
    upstreams: apiserverUpstreams(inv),
  };
}

/** nginx -c <conf>: "daemon off" lives in the config so systemd supervises the master process. */
export function nginxUnitView(conf: string): UnitView {
  return { exec: LB_EXECUTABLES.nginx, args: ['-c', conf] };
}

/** View of manifests/keepalived.conf.hbs. */
export interface KeepalivedView {
  readonly routerId: string;
  readonly state: 'MASTER' | 'BACKUP';
  readonly priority: number;
  readonly interface: string;
  readonly virtualRouterId: number;
  readonly vip: string;
  readonly checkCommand: string;
}

/**
 * keepalived on load-balancer host `host`: the first LB host starts as MASTER, the others as
 * BACKUP with decreasing priority. The VIP moves away when the local nginx is not active.
 * The VIP lives on cluster.apiServer.vipInterface; preflight checks it carries the host's internalIP.
 */
export function keepalivedView(inv: Inventory, host: InventoryHost): KeepalivedView {
  const index = hostsWithRole(inv, 'loadbalancer').findIndex((h) => h.name === host.name);
  const vip = inv.cluster.apiServer.vip;
  if (vip === undefined) throw new InternalError('apiServer.ha is vip but no vip is set (validation should have caught this)');
  return {
    routerId: host.name,
    state: index === 0 ? 'MASTER' : 'BACKUP',
    priority: 150 - 10 * Math.max(index, 0),
    interface: inv.cluster.apiServer.vipInterface,
    virtualRouterId: 51,
    vip,
    checkCommand: '/bin/systemctl is-active --quiet kubesmith-apiserver-lb.service',
  };
}

/** keepalived in the foreground with our config. */
export function keepalivedUnitView(conf: string): UnitView {
  return { exec: LB_EXECUTABLES.keepalived, args: ['--dont-fork', '--log-console', `--use-file=${conf}`] };
}
