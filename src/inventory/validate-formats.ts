/** Format rules for single values: DNS names, IP addresses, paths. Each returns a message or undefined. */
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

/** cluster.apiServer.vipInterface: a Linux network interface name (IFNAMSIZ: at most 15 bytes; no "/", whitespace or ":"; not "." or ".."). */
export function interfaceName(s: string): string | undefined {
  if (s.length > 0 && s.length <= 15 && /^[^/\s:]+$/.test(s) && s !== '.' && s !== '..') return undefined;
  return `vipInterface "${s}" is not a network interface name (1 to 15 characters, no "/", ":" or spaces; e.g. eth0, ens3, bond0)`;
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

/** An absolute path on the remote hosts. */
export function absolutePath(s: string, key: string): string | undefined {
  if (!s.startsWith('/')) return `paths.${key} "${s}" must be an absolute path (starting with /)`;
  if (/\s/.test(s)) return `paths.${key} "${s}" must not contain whitespace`;
  return undefined;
}

/** A login name: no whitespace, "@" or ":" (those mean the user wrote user@host). */
export function loginName(s: string, key: string): string | undefined {
  if (/^[A-Za-z0-9_][A-Za-z0-9_.-]*\$?$/.test(s)) return undefined;
  return `${key} "${s}" is not a valid login name${s.includes('@') ? '; give the host in address, not in user' : ''}`;
}
