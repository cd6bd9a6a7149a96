/**
 * Where files go on a host. The roots come from inventory `paths:` (default /opt/etcd and
 * /opt/kubernetes, the classic guide's {bin,cfg,ssl,logs} layout); everything else is fixed here
 * so that units, configs and the deployer agree on one set of paths.
 */
import type { Inventory } from '../inventory/types.js';

/** Every remote path the renderer writes or points a flag at. */
export interface RemoteLayout {
  readonly etcdBin: string;
  readonly etcdCfg: string;
  readonly etcdData: string;
  readonly k8sBin: string;
  readonly k8sCfg: string;
  readonly k8sLogs: string;
  readonly unitDir: string;
  /** kubelet-managed credentials (rotated client/serving certs); kubeadm's default. */
  readonly kubeletCertDir: string;
  readonly kubeletRoot: string;
  readonly containerdBin: string;
  readonly containerdConfig: string;
  readonly containerdSocket: string;
  readonly runc: string;
  readonly cniBin: string;
  readonly cniConf: string;
  /** Load-balancer hosts (VIP mode) may run no Kubernetes at all, so their files live here. */
  readonly lbCfg: string;
}

/** The layout for an inventory. Pure. */
export function remoteLayout(inv: Inventory): RemoteLayout {
  const etcd = inv.paths.etcd.replace(/\/+$/, '');
  const k8s = inv.paths.kubernetes.replace(/\/+$/, '');
  return {
    etcdBin: `${etcd}/bin`,
    etcdCfg: `${etcd}/cfg`,
    etcdData: '/var/lib/etcd',
    k8sBin: `${k8s}/bin`,
    k8sCfg: `${k8s}/cfg`,
    k8sLogs: `${k8s}/logs`,
    unitDir: '/etc/systemd/system',
    kubeletCertDir: '/var/lib/kubelet/pki',
    kubeletRoot: '/var/lib/kubelet',
    // Upstream containerd's release tarball and its containerd.service use /usr/local/bin.
    containerdBin: '/usr/local/bin',
    containerdConfig: '/etc/containerd/config.toml',
    containerdSocket: '/run/containerd/containerd.sock',
    runc: '/usr/local/sbin/runc',
    // The CNI spec's conventional directories; flannel's DaemonSet installs its plugin there too.
    cniBin: '/opt/cni/bin',
    cniConf: '/etc/cni/net.d',
    lbCfg: '/etc/kubesmith/lb',
  };
}
