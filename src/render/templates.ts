/** Every template the renderer uses, by name (path relative to the package root). */
export const TEMPLATE_NAMES = [
  'units/etcd.service.hbs',
  'units/kube-apiserver.service.hbs',
  'units/kube-controller-manager.service.hbs',
  'units/kube-scheduler.service.hbs',
  'units/kubelet.service.hbs',
  'units/kube-proxy.service.hbs',
  'units/containerd.service.hbs',
  'units/kubesmith-apiserver-proxy.service.hbs',
  'units/kubesmith-apiserver-lb.service.hbs',
  'units/kubesmith-keepalived.service.hbs',
  'manifests/kubeconfig.yaml.hbs',
  'manifests/kubelet-config.yaml.hbs',
  'manifests/kube-proxy-config.yaml.hbs',
  'manifests/containerd-config.toml.hbs',
  'manifests/containerd-hosts.toml.hbs',
  'manifests/etcd.conf.yml.hbs',
  'manifests/nginx-stream.conf.hbs',
  'manifests/keepalived.conf.hbs',
  'manifests/bootstrap-rbac.yaml.hbs',
  'manifests/cluster-admins-rbac.yaml.hbs',
  'manifests/flannel.yaml.hbs',
  'manifests/coredns.yaml.hbs',
] as const;

/** A template name. */
export type TemplateName = (typeof TEMPLATE_NAMES)[number];
