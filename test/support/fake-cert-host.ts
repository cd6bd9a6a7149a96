/**
 * A simulated host for `pki check --remote` tests and the 500-host bench: it answers the
 * certificate probe (src/pki/remote/probe-script.ts) from an in-memory file map and endpoint map,
 * printing what the real script prints (complete CERTIFICATE blocks only; the two certificate
 * fields of a kubeconfig; "@t" lines for handshakes). The real script is proven against real
 * files and a real openssl s_server in test/pki/remote-probe-script.test.ts and on real hosts in
 * test/hosts/pki-check-remote.test.ts; this fake only lets many hosts answer quickly.
 */
import type { CommandResult, HostReader, RemoteFileStat } from '../../src/deploy/ssh/connection.js';
import { pemBlocks, probeArgv } from '../../src/pki/remote/probe-script.js';
import { kubeconfigFields } from '../../src/pki/remote/targets.js';

/** What a simulated host holds. */
export interface FakeCertHostState {
  /** path -> content (certificates, kubeconfigs, cert+key files: the fake prints only certificates). */
  readonly files: Map<string, string>;
  /** "address:port" -> the PEM it serves, or why the handshake fails. */
  readonly tls: Map<string, string | { readonly fail: string }>;
  /** Simulates a host without openssl. */
  noOpenssl?: boolean;
}

/** An empty simulated host. */
export function fakeCertHostState(): FakeCertHostState {
  return { files: new Map(), tls: new Map() };
}

/** The probe's stdout for `argv` on a host in `state`. */
export function fakeProbeOutput(argv: readonly string[], state: FakeCertHostState): string {
  if (argv[0] !== 'sh' || argv[1] !== '-c' || argv[3] !== 'sh') throw new Error(`fake cert host: not the probe: ${argv.slice(0, 2).join(' ')}`);
  const out: string[] = [];
  argv.slice(4).forEach((a, idx) => {
    const i = idx + 1;
    if (a.startsWith('c/') || a.startsWith('k/')) {
      const content = state.files.get(a.slice(1));
      if (content === undefined) return void out.push(`@f ${i} missing`);
      out.push(`@f ${i} ok`);
      if (a.startsWith('k/')) for (const [k, v] of kubeconfigFields(content)) out.push(`${k} ${v}`);
      else for (const b of pemBlocks(content)) out.push(b.trimEnd());
    } else if (a.startsWith('t')) {
      const served = state.tls.get(a.slice(1));
      if (state.noOpenssl) out.push(`@t ${i} no-openssl`);
      else if (served === undefined) out.push(`@t ${i} failed connect:errno=111 (Connection refused)`);
      else if (typeof served === 'string') out.push(`@t ${i} ok`, served.trimEnd());
      else out.push(`@t ${i} failed ${served.fail}`);
    }
  });
  out.push('@done');
  return `${out.join('\n')}\n`;
}

const CERT_SCRIPT = probeArgv({ certFiles: [], kubeconfigs: [], endpoints: [] })[2];

/** A HostReader whose probe answers like the certificate probe; `log` records every call. */
export class FakeCertReader implements HostReader {
  readonly log: string[] = [];
  constructor(
    readonly name: string,
    readonly state: FakeCertHostState,
  ) {}

  async probe(argv: readonly string[]): Promise<CommandResult> {
    // Anything but the certificate probe (status's etcd probe on the same connection) is not simulated.
    if (argv[2] !== CERT_SCRIPT) return { exitCode: 127, stdout: '', stderr: 'fake cert host: only the certificate probe is simulated' };
    this.log.push(`probe ${argv.length - 4} args`);
    return { exitCode: 0, stdout: fakeProbeOutput(argv, this.state), stderr: '' };
  }

  async stat(): Promise<ReadonlyMap<string, RemoteFileStat>> {
    throw new Error('pki check --remote must not stat');
  }
}
