/**
 * Format rules for single values: DNS names, IP addresses, paths, image references. Each returns a
 * message or undefined. Every value that reaches a rendered file (units, TOML, YAML, nginx,
 * keepalived) is held to its field's grammar here; src/render/escape.ts escapes it again.
 */
import { isIp } from '../shared/net.js';

const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const HOST_LABEL = /^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?$/;

/** True for a DNS-1123 label: what Kubernetes requires of node names (RFC 1123, at most 63 chars). */
export function isDnsLabel(s: string): boolean {
  return s.length <= 63 && LABEL.test(s);
}

/** True for a DNS name (letters of either case, dot-separated labels, at most 253 characters). */
export function isDnsName(s: string): boolean {
  const name = s.endsWith('.') ? s.slice(0, -1) : s;
  // All-numeric dotted names are mistyped IPs (192.168.80.300), not host names.
  if (/^[\d.]+$/.test(name)) return false;
  return name.length > 0 && name.length <= 253 && name.split('.').every((l) => l.length <= 63 && HOST_LABEL.test(l));
}

/** A lowercase DNS-1123 label suggestion for a bad name: "Master_01" -> "master-01". */
function labelSuggestion(s: string): string | undefined {
  const fixed = s.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63).replace(/-+$/, '');
  return fixed !== '' && fixed !== s && isDnsLabel(fixed) ? fixed : undefined;
}

/**
 * cluster.apiServer.vipInterface: a Linux network interface name (IFNAMSIZ: at most 15 bytes). The
 * kernel allows almost any byte; we take the names distributions and udev give (eth0, ens3,
 * enp0s31f6, bond0, br-lan, eth0.100), which keepalived.conf carries without quoting.
 */
export function interfaceName(s: string): string | undefined {
  if (/^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/.test(s)) return undefined;
  return `vipInterface "${s}" is not a network interface name (1 to 15 letters, digits, "_", "." or "-", starting with a letter or digit; e.g. eth0, ens3, bond0)`;
}

// The OCI / Docker reference grammar (github.com/distribution/reference, regexp.go).
const ALNUM = '[a-z0-9]+';
const PATH_COMPONENT = `${ALNUM}(?:(?:[._]|__|-+)${ALNUM})*`;
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const REFERENCE = new RegExp(`^((?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*)(?::${TAG})?(?:@${DIGEST})?$`);

/** An image reference as containerd and the kubelet parse it: [registry[:port]/]repository[:tag][@digest]. */
export function imageReference(s: string, key: string): string | undefined {
  const m = REFERENCE.exec(s);
  if (m && (m[1] ?? '').length <= 255) return undefined;
  const upper = /[A-Z]/.test(s.split('/').slice(1).join('/').split(':')[0] ?? '') ? '; repository names are lowercase' : '';
  return `${key} "${s}" is not an image reference ([registry[:port]/]repository[:tag][@sha256:digest], e.g. registry.k8s.io/pause:3.9)${upper}`;
}

/** containerd.snapshotter: a containerd snapshotter plugin name (overlayfs, native, btrfs, zfs, devmapper, ...). */
export function snapshotterName(s: string, key: string): string | undefined {
  if (s.length <= 64 && /^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$/.test(s)) return undefined;
  return `${key} "${s}" is not a containerd snapshotter name (lowercase letters, digits, ".", "_" and "-"; e.g. overlayfs, native)`;
}

/** Names that become Kubernetes node names, etcd member names or directory names. */
export function dnsLabel(what: string): (s: string) => string | undefined {
  return (s) => {
    if (isDnsLabel(s)) return undefined;
    const fix = labelSuggestion(s);
    return (
      `${what} "${s}" is not a DNS-1123 label (lowercase letters, digits and "-", starting and ending with a ` +
      `letter or digit, at most 63 characters)${fix === undefined ? '' : `; try "${fix}"`}`
    );
  };
}

/**
 * Host names: the Kubernetes node name, which may be a DNS-1123 subdomain (node01.example.com, as
 * kubelet names nodes after an FQDN hostname), and the Linux hostname (hostnamectl: at most 64
 * characters), so lowercase dot-separated labels, 63 characters in all.
 */
export function nodeName(what: string): (s: string) => string | undefined {
  const ok = (n: string): boolean => n.length <= 63 && n.split('.').every(isDnsLabel);
  return (s) => {
    if (ok(s)) return undefined;
    const fix = s.split('.').map((l) => labelSuggestion(l) ?? l).join('.');
    return (
      `${what} "${s}" is not a valid node name (lowercase letters, digits and "-", in dot-separated labels that start and end ` +
      `with a letter or digit, at most 63 characters)${ok(fix) ? `; try "${fix}"` : ''}`
    );
  };
}

/** An IP address. */
export function ipAddress(s: string, key: string): string | undefined {
  return isIp(s) ? undefined : `${key} "${s}" is not a valid IP address`;
}

/** Where to connect: an IP address or a DNS name. */
export function hostAddress(s: string, key: string): string | undefined {
  if (isIp(s) || isDnsName(s)) return undefined;
  if (/^[\d.]+$/.test(s)) return `${key} "${s}" is not a valid IP address`;
  return `${key} "${s}" is neither an IP address nor a DNS name`;
}

/** An entry of the apiserver certificate's subject alternative names (wildcards allowed). */
export function sanEntry(s: string): string | undefined {
  if (isIp(s) || isDnsName(s.startsWith('*.') ? s.slice(2) : s)) return undefined;
  return `extraSANs entry "${s}" is neither an IP address nor a DNS name`;
}

/** A DNS domain such as cluster.local (lowercase labels). */
export function dnsDomain(s: string, key: string): string | undefined {
  if (s.length <= 253 && s.split('.').every(isDnsLabel)) return undefined;
  return `${key} "${s}" is not a valid DNS domain (lowercase labels separated by dots, e.g. cluster.local)`;
}

/**
 * An absolute directory on the remote hosts. It ends up in systemd ExecStart lines, flags, YAML and
 * shell commands, so it is held to the portable file-name characters; "/" itself and "."/".."
 * segments are refused (binaries would land in /bin, or outside the directory named).
 */
export function absolutePath(s: string, key: string): string | undefined {
  if (!s.startsWith('/')) return `paths.${key} "${s}" must be an absolute path (starting with /)`;
  if (/\s/.test(s)) return `paths.${key} "${s}" must not contain whitespace`;
  const segments = s.split('/').filter((x) => x !== '');
  if (segments.length === 0) return `paths.${key} "${s}" must be a directory below /, e.g. /opt/${key}`;
  if (segments.some((x) => x === '.' || x === '..')) return `paths.${key} "${s}" must not contain "." or ".." segments; write the directory it means`;
  const bad = [...new Set(s.replace(/[A-Za-z0-9._+@/-]/g, ''))].map((c) => JSON.stringify(c)).join(' ');
  if (bad !== '') return `paths.${key} "${s}" contains ${bad}; use letters, digits and "._+@-" in directory names (e.g. /opt/${key})`;
  return undefined;
}

/** A login name: no whitespace, "@" or ":" (those mean the user wrote user@host). */
export function loginName(s: string, key: string): string | undefined {
  if (/^[A-Za-z0-9_][A-Za-z0-9_.-]*\$?$/.test(s)) return undefined;
  return `${key} "${s}" is not a valid login name${s.includes('@') ? '; give the host in address, not in user' : ''}`;
}
