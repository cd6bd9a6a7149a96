/**
 * A HostReader that runs argv on this machine: the stand-in for an SSH host in the etcd status
 * tests (the argv is exactly what would run remotely; the SSH path itself is exercised by the
 * hosts tests, test/hosts/**, against real sshd).
 */
import { spawn } from 'node:child_process';
import type { CommandResult, HostReader, RemoteFileStat, RunOptions } from '../../../src/deploy/ssh/connection.js';

/** Runs each probe with child_process.spawn; `name` is the host name shown in rows. */
export function localReader(name: string): HostReader & { readonly calls: string[][] } {
  const calls: string[][] = [];
  return {
    name,
    calls,
    probe(argv: readonly string[], opts: RunOptions = {}): Promise<CommandResult> {
      calls.push([...argv]);
      return new Promise((resolve, reject) => {
        const [cmd, ...args] = argv;
        const p = spawn(cmd ?? 'false', args, { stdio: ['ignore', 'pipe', 'pipe'], ...(opts.signal ? { signal: opts.signal } : {}) });
        let stdout = '';
        let stderr = '';
        p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        const timer = setTimeout(() => p.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
        p.once('error', (e) => (clearTimeout(timer), reject(e)));
        p.once('close', (code) => (clearTimeout(timer), resolve({ exitCode: code ?? 128, stdout, stderr })));
      });
    },
    stat(): Promise<ReadonlyMap<string, RemoteFileStat>> {
      return Promise.reject(new Error('stat is not used by the status collectors'));
    },
  };
}
