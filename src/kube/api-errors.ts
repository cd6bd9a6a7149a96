/**
 * Classifies kube-apiserver failures: which are worth retrying while the apiserver comes up, and
 * how to word the rest so the operator knows which identity was used and what to check.
 */
import { ApiError } from '../shared/errors.js';
import type { ApiRequest, ApiResponse, ApiStatus } from './types.js';

/** Socket errors seen while kube-apiserver starts, restarts or sits behind a not-yet-ready proxy. */
const TRANSIENT_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

/** Certificate-verification failures: retrying cannot help. */
const TLS_TRUST_CODES = /^(UNABLE_TO_|SELF_SIGNED|DEPTH_ZERO|CERT_|ERR_TLS_CERT_ALTNAME|ERR_SSL_)/;

/** The error code Node (or the stream opener) attached, if any. */
export function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** A network error that may go away by itself (connection refused, reset, timeout, SSH channel refused). */
export function isTransientNetworkError(err: unknown): boolean {
  const code = errorCode(err);
  if (code !== undefined && TRANSIENT_CODES.has(code)) return true;
  // ssh2's forwardOut reports "(SSH) Channel open failure: Connection refused" without a code.
  return err instanceof Error && /channel open failure|socket hang up/i.test(err.message);
}

/** 5xx and 429 are retried: the apiserver is starting, etcd is electing, or we are rate limited. */
export function isTransientStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status !== 501);
}

/** The Status object in an error body, when there is one. */
export function statusOf(res: ApiResponse): ApiStatus {
  try {
    const parsed = JSON.parse(res.body) as ApiStatus;
    return typeof parsed === 'object' && parsed !== null ? parsed : {};
  } catch {
    return { message: res.body.slice(0, 200) };
  }
}

/** An ApiError for a non-2xx response, naming the identity on 401/403. */
export function responseError(req: ApiRequest, res: ApiResponse, endpoint: string, identity: string): ApiError {
  const st = statusOf(res);
  const what = `${req.method} ${req.path}`;
  if (res.status === 401) {
    return new ApiError(`${endpoint}: 401 Unauthorized: the apiserver did not accept the client certificate ${identity}`, 401, {
      detail: [`request: ${what}`, ...(st.message ? [`apiserver: ${st.message}`] : [])],
      hint: 'the certificate must be signed by the CA in kube-apiserver --client-ca-file and be unexpired; check that -i points at this cluster\'s inventory, and re-run `kubesmith apply` if the cluster CA changed',
    });
  }
  if (res.status === 403) {
    return new ApiError(`${endpoint}: 403 Forbidden: ${identity} may not ${what}`, 403, {
      detail: st.message ? [`apiserver: ${st.message}`] : [],
      hint: 'the identity\'s groups need RBAC for this: `kubesmith apply` binds group kubeadm:cluster-admins to cluster-admin (apply-manifests); with pki.adminIdentity: system-masters the admin bypasses RBAC',
    });
  }
  return new ApiError(`${endpoint}: ${what} failed: ${res.status} ${st.reason ?? ''}`.trimEnd(), res.status, {
    detail: st.message ? [`apiserver: ${st.message}`] : [],
  });
}

/** An ApiError for a socket/TLS failure that retrying will not fix (or that outlived the deadline). */
export function networkError(err: unknown, endpoint: string, identity: string, attempts: number, waitedMs: number): ApiError {
  const code = errorCode(err);
  const msg = err instanceof Error ? err.message : String(err);
  if (code !== undefined && /ALERT/.test(code)) {
    return new ApiError(`${endpoint}: the apiserver rejected the client certificate ${identity} during the TLS handshake (${code})`, undefined, {
      cause: err,
      hint: 'the certificate must be signed by the CA in kube-apiserver --client-ca-file; check that -i points at this cluster\'s inventory',
    });
  }
  if (code !== undefined && TLS_TRUST_CODES.test(code)) {
    return new ApiError(`${endpoint}: the apiserver's certificate is not trusted: ${msg}`, undefined, {
      cause: err,
      detail: [`code: ${code}`],
      hint: 'the apiserver must serve a certificate signed by this inventory\'s kubernetes CA that names the address used; re-run `kubesmith apply` to redistribute certificates',
    });
  }
  const tried = attempts > 1 ? ` after ${attempts} attempts over ${Math.round(waitedMs / 1000)} s` : '';
  return new ApiError(`${endpoint}: kube-apiserver is not reachable${tried}: ${msg}`, undefined, {
    cause: err,
    hint: 'check that kube-apiserver runs on the control-plane host (`systemctl status kube-apiserver`, `journalctl -u kube-apiserver`) and that the address and port are right',
  });
}
