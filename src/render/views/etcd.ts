/**
 * etcd: one YAML config file per member (etcd --config-file), so the unit carries a single flag
 * and the deployer, tests and humans read one file. Note that with --config-file etcd ignores
 * every other flag and ETCD_* variable, so nothing else may be put on the command line.
 */
import type { Inventory, InventoryHost } from '../../inventory/types.js';
import type { Version } from '../../shared/semver.js';
import type { EtcdBootstrap } from '../../pki/identity.js';
import { CERT, type CredentialPaths } from '../credentials.js';
import { hostPart } from '../endpoints.js';
import { appliesTo, ETCD_RULES } from '../flags-by-version.js';
import type { RemoteLayout } from '../layout.js';
import { flag, type UnitView, type YamlSetting } from './unit-view.js';

/** Path of the member's config file. */
export function etcdConfigPath(layout: RemoteLayout): string {
  return `${layout.etcdCfg}/etcd.conf.yml`;
}

/** The etcd unit: only --config-file. */
export function etcdView(layout: RemoteLayout): UnitView {
  return { exec: `${layout.etcdBin}/etcd`, args: [flag('config-file', etcdConfigPath(layout))] };
}

/** View of manifests/etcd.conf.yml.hbs. */
export interface EtcdConfigView {
  readonly name: string;
  readonly dataDir: string;
  readonly listenClientUrls: string;
  readonly advertiseClientUrls: string;
  readonly listenPeerUrls: string;
  readonly initialAdvertisePeerUrls: string;
  readonly listenMetricsUrls: string;
  readonly initialCluster: string;
  readonly initialClusterState: EtcdBootstrap['initialClusterState'];
  readonly initialClusterToken: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly peerCert: string;
  readonly peerKey: string;
  readonly trustedCa: string;
  /** Version-dependent top-level settings (key: value; the template escapes both). */
  readonly versionSettings: readonly YamlSetting[];
}

/**
 * The config of member `host`. The member name is the inventory name (etcd-server cert CN);
 * `bootstrap` is how it first starts (etcd-membership.ts: founder or joiner).
 */
export function etcdConfigView(inv: Inventory, host: InventoryHost, layout: RemoteLayout, creds: CredentialPaths, etcd: Version, bootstrap: EtcdBootstrap): EtcdConfigView {
  const ip = hostPart(host.internalIP);
  const loopback = host.internalIP === '127.0.0.1' ? [] : ['https://127.0.0.1:2379'];
  return {
    name: host.name,
    dataDir: layout.etcdData,
    listenClientUrls: [`https://${ip}:2379`, ...loopback].join(','),
    advertiseClientUrls: `https://${ip}:2379`,
    listenPeerUrls: `https://${ip}:2380`,
    initialAdvertisePeerUrls: `https://${ip}:2380`,
    // Plain HTTP on loopback only, as kubeadm: /health (and /livez, /readyz from 3.6) for probes
    // without client certificates.
    listenMetricsUrls: 'http://127.0.0.1:2381',
    initialCluster: bootstrap.initialCluster,
    initialClusterState: bootstrap.initialClusterState,
    initialClusterToken: `kubesmith-${inv.cluster.name}`,
    serverCert: creds.cert(CERT.etcdServer),
    serverKey: creds.key(CERT.etcdServer),
    peerCert: creds.cert(CERT.etcdPeer),
    peerKey: creds.key(CERT.etcdPeer),
    trustedCa: creds.cert(CERT.etcdCa, inv.paths.etcd.replace(/\/+$/, '')),
    versionSettings: [
      ...(appliesTo(ETCD_RULES.explicitZapLogger, etcd) ? [{ key: 'logger', value: 'zap' }, { key: 'log-outputs', value: ['stderr'] }] : []),
      ...(appliesTo(ETCD_RULES.initialCorruptCheck, etcd) ? [{ key: 'experimental-initial-corrupt-check', value: true }] : []),
      // 3.6+: the same check as a feature gate (the experimental key is deprecated in 3.6, gone in 3.7).
      ...(appliesTo(ETCD_RULES.featureGates, etcd) ? [{ key: 'feature-gates', value: 'InitialCorruptCheck=true' }] : []),
    ],
  };
}
