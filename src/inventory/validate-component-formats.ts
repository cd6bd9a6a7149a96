/**
 * Formats of the containerd mirror fields. Both values reach rendered files (a directory name under
 * /etc/containerd/certs.d and a TOML string in hosts.toml), so they are checked here, not only escaped.
 */

/** A registry host as containerd's hosts.toml directories name it: "docker.io", "registry:5000", "[fd00::1]:5000". */
export function registryHost(s: string, key: string): string | undefined {
  const label = '[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?';
  const ok = new RegExp(`^(${label}(\\.${label})*|\\[[0-9a-fA-F:]+\\])(:[0-9]{1,5})?$`).test(s) || s === '_default';
  if (ok && s.length <= 253) return undefined;
  return `${key} "${s}" is not a registry host (a DNS name or [IPv6] with an optional :port, e.g. docker.io or registry.local:5000)`;
}

/** A mirror URL: http(s)://host[:port][/path], no spaces, quotes or query. */
export function mirrorEndpoint(s: string, key: string): string | undefined {
  if (s.length <= 2048 && /^https?:\/\/[A-Za-z0-9.[\]:-]+(\/[A-Za-z0-9._~/-]*)?$/.test(s)) return undefined;
  return `${key} "${s}" is not a mirror URL (http:// or https:// host[:port][/path], e.g. https://mirror.example:5000)`;
}
