/**
 * Cluster-wide rules: supported versions, PKI lifetimes, and the API high-availability setup
 * (a VIP needs keepalived on two loadbalancer hosts and an address nobody else uses).
 */
import { canonicalIp } from '../shared/net.js';
import { compareVersions, parseVersion, SUPPORTED_ETCD, SUPPORTED_KUBERNETES } from '../shared/semver.js';
import type { ApiHaMode } from './types.js';
import type { IssueSink } from './validate-context.js';
import { validatePkiLifetimes } from './validate-pki.js';
import { indexedHosts } from './validate-hosts.js';
import type { RawInventory } from './validate-shape.js';
import { defaultHa } from './defaults.js';

type Range = { readonly min: { major: number; minor: number }; readonly max: { major: number; minor: number } };

function checkVersion(sink: IssueSink, path: string, key: string, text: string, range: Range, example: string): void {
  const v = parseVersion(text);
  if (v === undefined) {
    // "1.31.2" lacks the v; "v1.31.02" has a leading zero (no release is named that way).
    const unpadded = `v${text.replace(/^v/, '').replace(/(^|\.)0+(?=\d)/g, '$1')}`;
    const zero = unpadded !== `v${text.replace(/^v/, '')}` ? ' (numbers have no leading zeros)' : '';
    const fixed = parseVersion(unpadded) !== undefined ? `; write it as ${unpadded}${zero}` : `; write a release like ${example}`;
    sink.error(path, `${key} "${text}" is malformed${fixed}`);
    return;
  }
  const { min, max } = range;
  if (compareVersions(v, min) < 0 || compareVersions(v, { ...max, patch: Number.MAX_SAFE_INTEGER }) > 0) {
    sink.error(path, `${key} ${text} is not supported; use v${min.major}.${min.minor} to v${max.major}.${max.minor}`);
  }
}

/** The HA mode the inventory asks for, or the default for its control-plane count; undefined when ha is invalid. */
export function effectiveHa(raw: RawInventory, sink: IssueSink): ApiHaMode | undefined {
  if (sink.has('cluster.apiServer.ha') && raw.cluster?.apiServer?.ha === undefined) return undefined;
  const cp = indexedHosts(raw).filter(({ h }) => h.roles?.includes('control-plane')).length;
  return raw.cluster?.apiServer?.ha ?? defaultHa(cp);
}

/** Versions, PKI lifetimes and API HA rules. */
export function validateCluster(raw: RawInventory, sink: IssueSink): void {
  const cl = raw.cluster ?? {};
  if (cl.kubernetesVersion !== undefined) {
    checkVersion(sink, 'cluster.kubernetesVersion', 'kubernetesVersion', cl.kubernetesVersion, SUPPORTED_KUBERNETES, 'v1.31.2');
  }
  if (cl.etcdVersion !== undefined) checkVersion(sink, 'cluster.etcdVersion', 'etcdVersion', cl.etcdVersion, SUPPORTED_ETCD, 'v3.6.11');

  validatePkiLifetimes(raw, sink);
  validateHa(raw, sink);
}

function validateHa(raw: RawInventory, sink: IssueSink): void {
  const api = raw.cluster?.apiServer ?? {};
  const ha = effectiveHa(raw, sink);
  if (ha === undefined) return;
  const hosts = indexedHosts(raw);
  const lbs = hosts.filter(({ h }) => h.roles?.includes('loadbalancer'));
  const cps = hosts.filter(({ h }) => h.roles?.includes('control-plane'));
  const haPath = 'cluster.apiServer.ha';
  if (ha === 'vip') {
    if (!sink.has('cluster.apiServer.vip')) sink.error(haPath, 'ha: vip needs cluster.apiServer.vip, the virtual IP keepalived moves between the load balancers; add vip: <unused IP>');
    if (lbs.length < 2) {
      sink.error(haPath, `ha: vip needs 2 hosts with the loadbalancer role (keepalived MASTER and BACKUP), found ${lbs.length}; add roles: [loadbalancer] to two hosts`);
    }
    const port = api.port ?? 6443;
    const vipPort = api.vipPort ?? 16443;
    if (port === vipPort) {
      for (const { h, i } of lbs.filter(({ h: x }) => x.roles?.includes('control-plane'))) {
        sink.error(`hosts[${i}].roles`, `host "${h.name ?? i}" runs kube-apiserver and the VIP load balancer, both on port ${port}; give cluster.apiServer.vipPort another port`);
      }
    }
  } else {
    if (api.vip !== undefined) sink.error('cluster.apiServer.vip', `vip is set but ha is ${ha}; set ha: vip or remove vip`, 'key');
    if (api.vipInterface !== undefined) sink.error('cluster.apiServer.vipInterface', `vipInterface is set but ha is ${ha}; set ha: vip or remove vipInterface`, 'key');
  }
  if (ha === 'none' && cps.length >= 2) {
    sink.warning(haPath, `ha: none with ${cps.length} control-plane hosts: every node talks to the first one only; use local-proxy or vip for API high availability`);
  }
  if (api.vip !== undefined) {
    for (const { h, i } of hosts) {
      // Compared as addresses: "fd00::10" and "fd00:0:0::10" are the same VIP.
      const vip = canonicalIp(api.vip);
      if (vip !== undefined && (canonicalIp(h.address ?? '') === vip || canonicalIp(h.internalIP ?? '') === vip)) {
        sink.error('cluster.apiServer.vip', `vip ${api.vip} is an address of host "${h.name ?? i}" (line ${sink.line(`hosts[${i}]`)}); the VIP must be an unused address`);
      }
    }
  }
}
