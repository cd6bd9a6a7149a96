/**
 * A client of the Kubernetes API on a node that polls /readyz every ~100 ms through the node's
 * local proxy (ha: local-proxy: nginx on 127.0.0.1:<port> in front of every kube-apiserver), for
 * the rollout proofs of issue #12 with real binaries (cert-lifecycle-k8s.e2e.test.ts).
 *
 * It runs on the host as a transient systemd unit (one ssh round trip to start, one to stop), so
 * the test process's own scheduling does not show up as API downtime. Each poll is a new curl
 * process, so a new TCP connection and TLS handshake: nginx picks an upstream per connection, so
 * every poll is a fresh chance to land on an apiserver that is restarting (a kept-alive
 * connection would stay on one). The client presents a client certificate the test copies there
 * (the credential a real client holds at that moment) and trusts the CA file deployed on the node
 * (`caFile`), read again by every curl, so it follows what apply deploys during a CA rotation.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import type { TestHost } from '../support/test-hosts.js';

const UNIT = 'ks-readyz-poller';
const FILE = '/var/lib/ks-readyz-samples';
const DIR = '/root/ks-readyz-client';

/** One poll: when it started and ended (epoch ms), curl's exit code, and what came back. */
export interface Poll {
  readonly at: number;
  readonly end: number;
  readonly rc: number;
  /** The body and the HTTP status ("ok 200" when ready), or curl's error. */
  readonly answer: string;
}

export const pollOk = (p: Poll): boolean => p.rc === 0 && p.answer === 'ok 200';

/** A failed poll in a few words: the status and the failing /readyz checks, Status message, or curl's error. */
export function pollWhy(p: Poll): string {
  const code = / (\d{3})$/.exec(p.answer)?.[1] ?? '';
  const failing = [...p.answer.matchAll(/\[-\](\S+)/g)].map((m) => m[1]).join(', ');
  const message = /"message": "((?:[^"\\]|\\.)*)"/.exec(p.answer)?.[1];
  return `rc ${p.rc}${code ? ` HTTP ${code}` : ''}: ${failing ? `failing checks ${failing}` : (message ?? p.answer.slice(0, 160))}`;
}

/** Starts polling https://127.0.0.1:<port>/readyz on `host` with the client pair given (PEM). */
export async function startPoller(host: TestHost, opts: { port: number; caFile: string; cert: string; key: string }): Promise<void> {
  mkdirSync(host.path(DIR), { recursive: true, mode: 0o700 });
  writeFileSync(host.path(`${DIR}/client.pem`), opts.cert, { mode: 0o600 });
  writeFileSync(host.path(`${DIR}/client-key.pem`), opts.key, { mode: 0o600 });
  const loop = [
    'while :; do',
    '  s=$(date +%s%3N)',
    `  out=$(curl -sS --max-time 5 --cacert ${opts.caFile} --cert ${DIR}/client.pem --key ${DIR}/client-key.pem -w ' %{http_code}' https://127.0.0.1:${opts.port}/readyz 2>&1)`,
    '  rc=$?',
    '  echo "$s $(date +%s%3N) $rc $(printf %s "$out" | tr "\\n" " " | cut -c1-3000)"',
    '  sleep 0.1',
    `done > ${FILE}`,
  ].join('\n');
  const r = await host.ssh(`rm -f ${FILE}; systemctl reset-failed ${UNIT} 2>/dev/null; systemd-run --quiet --unit=${UNIT} /bin/bash -c '${loop.replace(/'/g, `'\\''`)}'`);
  if (r.code !== 0) throw new Error(`${host.name}: start /readyz poller: ${r.stderr}`);
}

/** Stops the poller and returns its polls. */
export async function stopPoller(host: TestHost): Promise<readonly Poll[]> {
  await host.ssh(`systemctl stop ${UNIT}`);
  return host
    .readFile(FILE)
    .split('\n')
    .flatMap((l) => {
      const m = /^(\d+) (\d+) (\d+) ?(.*)$/.exec(l.trim());
      return m ? [{ at: Number(m[1]), end: Number(m[2]), rc: Number(m[3]), answer: (m[4] ?? '').trim() }] : [];
    });
}

/** Requests, failures, the longest time between two successful answers, the slowest answer. */
export function pollStats(polls: readonly Poll[]): { requests: number; failed: readonly Poll[]; longestGapMs: number; slowestMs: number } {
  let last: number | undefined;
  let longestGapMs = 0;
  for (const p of polls) {
    if (!pollOk(p)) continue;
    if (last !== undefined) longestGapMs = Math.max(longestGapMs, p.end - last);
    last = p.end;
  }
  return { requests: polls.length, failed: polls.filter((p) => !pollOk(p)), longestGapMs, slowestMs: Math.max(0, ...polls.map((p) => p.end - p.at)) };
}
