/**
 * Finds where a credential lands on a host, from the CA's install list (pkiFilesForHost), so that
 * every flag points at exactly the file the CA installs: one source of truth for paths.
 * The certificate ids are the catalogue's (pki/profiles.yaml); per-host certificates carry
 * "@<host>" ("etcd-server@master01").
 */
import type { PkiFile } from '../pki/types.js';
import { InternalError } from '../shared/errors.js';

/** Catalogue ids the renderer refers to. Kept in one place so a catalogue rename is one edit. */
export const CERT = {
  kubernetesCa: 'kubernetes-ca',
  etcdCa: 'etcd-ca',
  frontProxyCa: 'front-proxy-ca',
  apiserver: 'apiserver',
  apiserverKubeletClient: 'apiserver-kubelet-client',
  apiserverEtcdClient: 'apiserver-etcd-client',
  frontProxyClient: 'front-proxy-client',
  etcdServer: 'etcd-server',
  etcdPeer: 'etcd-peer',
  etcdHealthcheckClient: 'etcd-healthcheck-client',
  admin: 'admin',
  controllerManager: 'kube-controller-manager',
  scheduler: 'kube-scheduler',
  kubeProxy: 'kube-proxy',
  serviceAccount: 'service-account',
} as const;

/** Looks up credential paths in one host's install list. */
export interface CredentialPaths {
  /**
   * The certificate (or public key) path of `id`; keys are told apart by `secret`. A CA installed
   * twice on one host (etcd-ca under both roots on an etcd + control-plane host) resolves to the
   * copy under `preferUnder`, so every control-plane host's flags name the same path.
   */
  cert(id: string, preferUnder?: string): string;
  key(id: string): string;
  has(id: string): boolean;
  /** False for a CA whose key is kept offline (keyless mode): pkiFilesForHost installs no key for it. */
  hasKey(id: string): boolean;
}

/** Wraps a host's PkiFile list; a missing entry is a kubesmith bug (catalogue and renderer disagree). */
export function credentialPaths(host: string, files: readonly PkiFile[]): CredentialPaths {
  const find = (id: string, secret: boolean, under?: string): PkiFile | undefined => {
    const all = files.filter((f) => f.secret === secret && (f.certId === id || f.certId.startsWith(`${id}@`)));
    return (under === undefined ? undefined : all.find((f) => f.path.startsWith(`${under}/`))) ?? all[0];
  };
  const get = (id: string, secret: boolean, under?: string): string => {
    const f = find(id, secret, under);
    if (!f) {
      throw new InternalError(`${host}: the PKI install list has no ${secret ? 'key' : 'certificate'} for "${id}"`, {
        hint: 'pki/profiles.yaml installTo and the renderer disagree; this is a bug in kubesmith',
        detail: files.map((x) => `${x.certId} -> ${x.path}`),
      });
    }
    return f.path;
  };
  return {
    cert: (id, under) => get(id, false, under),
    key: (id) => get(id, true),
    has: (id) => find(id, false) !== undefined,
    hasKey: (id) => find(id, true) !== undefined,
  };
}
