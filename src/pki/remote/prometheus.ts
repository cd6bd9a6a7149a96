/**
 * `pki check --remote --prometheus FILE`: the node_exporter textfile-collector format
 * (Prometheus text exposition format 0.0.4: HELP and TYPE once per metric before its samples,
 * label values with \\, \" and \n escaped, no timestamps, which the textfile collector refuses).
 * Alert on `kubesmith_certificate_expiry_seconds - time() < 30*86400`, on
 * `kubesmith_certificate_in_sync == 0` and on `kubesmith_certificate_check_up == 0`. Pure.
 */
import type { RemoteCertRow } from './types.js';

/** Escapes a label value (exposition format: backslash, double quote, line feed). */
export function escapeLabel(v: string): string {
  if (!/[\\"\n]/.test(v)) return v; // the common case: nothing to escape
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

const labels = (l: Readonly<Record<string, string>>): string =>
  `{${Object.entries(l)
    .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
    .join(',')}}`;

/** Rows whose place can be compared with the state (the kubelet's own certificates cannot). */
const COMPARED = new Set(['in sync', 'differs from state', 'served != on disk', 'not deployed', 'unreadable']);

/** The textfile content. `hosts` lists every host asked (unreachable ones get check_up 0). */
export function prometheusText(cluster: string, now: Date, hosts: readonly string[], unreachable: ReadonlySet<string>, rows: readonly RemoteCertRow[]): string {
  const out: string[] = [];
  const metric = (name: string, help: string, samples: readonly string[]): void => {
    if (samples.length === 0) return;
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`, ...samples);
  };
  const id = (r: RemoteCertRow): Record<string, string> => ({ cluster, host: r.host, certificate: r.certificate, source: r.source, location: r.location });
  metric(
    'kubesmith_certificate_expiry_seconds',
    'notAfter of a certificate kubesmith found on a host (file, kubeconfig, served by an endpoint, or the kubelet\'s own), in seconds since the Unix epoch.',
    rows.filter((r) => r.expires !== undefined).map((r) => `kubesmith_certificate_expiry_seconds${labels(id(r))} ${Math.floor((r.expires as Date).getTime() / 1000)}`),
  );
  metric(
    'kubesmith_certificate_in_sync',
    '1 when the certificate at this place is the one in kubesmith\'s PKI state (and an endpoint serves what its file holds), else 0.',
    rows.filter((r) => COMPARED.has(r.status)).map((r) => `kubesmith_certificate_in_sync${labels(id(r))} ${r.status === 'in sync' ? 1 : 0}`),
  );
  metric(
    'kubesmith_certificate_check_up',
    '1 when the host answered the certificate check over SSH, 0 when it could not be reached.',
    hosts.map((h) => `kubesmith_certificate_check_up${labels({ cluster, host: h })} ${unreachable.has(h) ? 0 : 1}`),
  );
  metric('kubesmith_certificate_check_timestamp_seconds', 'When this check ran, in seconds since the Unix epoch.', [
    `kubesmith_certificate_check_timestamp_seconds${labels({ cluster })} ${Math.floor(now.getTime() / 1000)}`,
  ]);
  return `${out.join('\n')}\n`;
}
