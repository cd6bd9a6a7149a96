/** Wire shapes of the Kubernetes API objects kubesmith reads and writes (JSON, as the API sends them). */

/** metadata of any object. */
export interface ObjectMeta {
  readonly name: string;
  readonly namespace?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly resourceVersion?: string;
  readonly creationTimestamp?: string;
  readonly uid?: string;
}

/** Any object kubesmith applies: apiVersion/kind/metadata plus kind-specific fields. */
export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: ObjectMeta;
  readonly [field: string]: unknown;
}

/** A list response ("SecretList", ...). */
export interface KubeList<T> {
  readonly items: readonly T[];
  readonly metadata?: { readonly resourceVersion?: string; readonly continue?: string };
}

/** certificates.k8s.io/v1 CertificateSigningRequest, the fields kubesmith uses. */
export interface CertificateSigningRequest extends KubeObject {
  readonly spec: {
    readonly request: string;
    readonly signerName: string;
    readonly usages?: readonly string[];
    readonly username?: string;
    readonly groups?: readonly string[];
    readonly expirationSeconds?: number;
  };
  readonly status?: {
    readonly conditions?: ReadonlyArray<{
      readonly type: string;
      readonly status?: string;
      readonly reason?: string;
      readonly message?: string;
      readonly lastUpdateTime?: string;
    }>;
    readonly certificate?: string;
  };
}

/** The API's error body (kind: Status). */
export interface ApiStatus {
  readonly kind?: string;
  readonly status?: string;
  readonly message?: string;
  readonly reason?: string;
  readonly code?: number;
}

/** One HTTP request to kube-apiserver. `path` includes the query string. */
export interface ApiRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly path: string;
  /** Serialized as JSON. */
  readonly body?: unknown;
  readonly contentType?: string;
  readonly signal?: AbortSignal;
  /** @default 30 s */
  readonly timeoutMs?: number;
}

/** The raw response; the transport never interprets the status. */
export interface ApiResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: string;
}

/** How kubesmith talks to one apiserver, and who it is while doing so (for error messages). */
export interface ApiTransport {
  request(req: ApiRequest): Promise<ApiResponse>;
  /** The client certificate's subject, e.g. "CN=kubernetes-admin, O=kubeadm:cluster-admins". */
  readonly identity: string;
  /** Where requests go, e.g. "https://127.0.0.1:6443 via ssh master01". */
  readonly endpoint: string;
  close(): Promise<void>;
}

/**
 * Byte streams to one apiserver through something else (an SSH connection to a control-plane host
 * forwarding to its 127.0.0.1:<port>). Opened by the caller; the transport runs TLS over it.
 */
export interface ApiTunnel {
  /** A fresh stream per call (ssh2 `forwardOut`). */
  connect(): Promise<import('node:stream').Duplex>;
  /** The name the apiserver certificate must carry for that address (127.0.0.1). */
  readonly verifyName: string;
  /** "https://127.0.0.1:6443 via ssh master01". */
  readonly describe: string;
  close(): Promise<void>;
}
