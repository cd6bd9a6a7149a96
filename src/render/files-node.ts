/** Files of a node (worker or control-plane host): containerd, kubelet, kube-proxy, local API proxy. */
import type { InventoryHost } from '../inventory/types.js';
import { CERT, type CredentialPaths } from './credentials.js';
import { nodeServerUrl } from './endpoints.js';
import { imageImportSteps } from '../kube/addons.js';
import type { RenderContext, RoleFiles, TextFile } from './render-context.js';
import { lbPaths, localProxyView, nginxUnitView } from './views/apiserver-lb.js';
import { bootstrapKubeconfigView, certKubeconfigView } from './views/kubeconfig.js';
import {
  containerdConfigView,
  containerdHostsFiles,
  containerdView,
  kubeletConfigView,
  kubeletView,
  kubeProxyConfigView,
  kubeProxyView,
  nodePaths,
} from './views/node.js';

const PHASE = 'nodes';

/** Everything a kubelet node runs. */
export function nodeFiles(ctx: RenderContext, host: InventoryHost, creds: CredentialPaths): RoleFiles {
  const { inv, layout, k8s, containerd } = ctx;
  const p = nodePaths(layout);
  const server = nodeServerUrl(inv);
  const file = (path: string, kind: TextFile['kind'], template: string, view: object, restarts: string[], secret = false): TextFile => ({
    path,
    kind,
    phase: PHASE,
    template,
    view,
    secret,
    restarts,
  });
  const kubelet = ['kubelet.service'];
  const proxy = ['kube-proxy.service'];
  const files: TextFile[] = [
    file(layout.containerdConfig, 'config', 'manifests/containerd-config.toml.hbs', containerdConfigView(inv, layout, containerd), ['containerd.service']),
    // containerd reads hosts.toml at each pull: a mirror change needs no restart (docs/hosts.md).
    ...containerdHostsFiles(inv).map((h) => file(h.path, 'config', 'manifests/containerd-hosts.toml.hbs', h.view, [])),
    file(`${layout.unitDir}/containerd.service`, 'unit', 'units/containerd.service.hbs', containerdView(layout), ['containerd.service']),
    file(p.kubeletConfig, 'config', 'manifests/kubelet-config.yaml.hbs', kubeletConfigView(inv, layout, creds, k8s), kubelet),
    file(
      p.bootstrapKubeconfig,
      'kubeconfig',
      'manifests/kubeconfig.yaml.hbs',
      bootstrapKubeconfigView(ctx.bundle, inv.cluster.name, server, ctx.bundle.bootstrapToken),
      // A new token matters only to a kubelet that has not bootstrapped yet; never restart for it.
      [],
      true,
    ),
    file(`${layout.unitDir}/kubelet.service`, 'unit', 'units/kubelet.service.hbs', kubeletView(host, layout), kubelet),
    file(p.kubeProxyConfig, 'config', 'manifests/kube-proxy-config.yaml.hbs', kubeProxyConfigView(inv, host, layout, k8s), proxy),
    file(
      p.kubeProxyKubeconfig,
      'kubeconfig',
      'manifests/kubeconfig.yaml.hbs',
      certKubeconfigView(ctx.bundle, inv.cluster.name, server, CERT.kubeProxy, 'system:kube-proxy'),
      proxy,
      true,
    ),
    file(`${layout.unitDir}/kube-proxy.service`, 'unit', 'units/kube-proxy.service.hbs', kubeProxyView(layout), proxy),
  ];
  if (inv.cluster.apiServer.ha === 'local-proxy') {
    const unit = ['kubesmith-apiserver-proxy.service'];
    const conf = lbPaths(layout).localProxyConf;
    files.push(
      // A new upstream list is a reload: nginx keeps the connections in flight (Artifact.reloads).
      { ...file(conf, 'config', 'manifests/nginx-stream.conf.hbs', localProxyView(inv), []), reloads: unit },
      file(`${layout.unitDir}/kubesmith-apiserver-proxy.service`, 'unit', 'units/kubesmith-apiserver-proxy.service.hbs', nginxUnitView(conf), unit),
    );
  }
  // The pause, flannel and CoreDNS images come from the bundle: containerd imports them before
  // kubelet starts (nothing is pulled; the manifests use imagePullPolicy IfNotPresent).
  const data = imageImportSteps({ inventory: inv }, host).map((s) => ({ source: s.source, path: s.remotePath, phase: PHASE }));
  return { files, data };
}
