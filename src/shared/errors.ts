/**
 * The kubesmith error hierarchy. Every error carries a code, an exit code and, where it has one,
 * the underlying `cause`. Only src/cli/main.ts turns these into exit codes and text.
 * The first line of `message` is the short, actionable form (execa's shortMessage shape:
 * "<where>: <what failed>"); `hint` says what to do; `detail` holds lines shown under it.
 */
export type ErrorCode =
  | 'E_USAGE'
  | 'E_INVENTORY'
  | 'E_PKI'
  | 'E_TEMPLATE'
  | 'E_STATE'
  | 'E_BUNDLE'
  | 'E_SSH_CONNECT'
  | 'E_SSH_AUTH'
  | 'E_SSH_HOSTKEY'
  | 'E_REMOTE_EXIT'
  | 'E_LOCKED'
  | 'E_API'
  | 'E_PHASE'
  | 'E_ABORT'
  | 'E_INTERNAL';

export interface ErrorOptions {
  readonly hint?: string;
  readonly detail?: readonly string[];
  readonly cause?: unknown;
}

/** Base class: never thrown directly. */
export abstract class KubesmithError extends Error {
  abstract readonly code: ErrorCode;
  abstract readonly exitCode: number;
  readonly hint: string | undefined;
  readonly detail: readonly string[];
  constructor(message: string, opts: ErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.hint = opts.hint;
    this.detail = opts.detail ?? [];
  }
}

/** Bad flags or arguments. Exit 2. */
export class UsageError extends KubesmithError {
  readonly code = 'E_USAGE' as const;
  readonly exitCode = 2;
}

/** One problem found in an inventory file, with its source position. */
export interface InventoryIssue {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly path: string; // dotted path into the document, e.g. "hosts[2].internalIP"
  readonly severity: 'error' | 'warning';
  readonly message: string; // includes the hint, e.g. 'unknown key "serviceCidr" (did you mean serviceCIDR?)'
}

/** Formats an issue as `FILE:LINE:COL: message` (warnings say so). */
export function formatIssue(i: InventoryIssue): string {
  return `${i.file}:${i.line}:${i.col}: ${i.severity === 'warning' ? 'warning: ' : ''}${i.message}`;
}

/** The inventory has errors; all of them are listed. Exit 2. */
export class InventoryError extends KubesmithError {
  readonly code = 'E_INVENTORY' as const;
  readonly exitCode = 2;
  readonly issues: readonly InventoryIssue[];
  constructor(file: string, issues: readonly InventoryIssue[], hint = 'fix the lines above and run `kubesmith validate` again; nothing was written') {
    const errors = issues.filter((i) => i.severity === 'error').length;
    super(`${file}: ${errors} problem${errors === 1 ? '' : 's'} in the inventory`, {
      detail: issues.map(formatIssue),
      hint,
    });
    this.issues = issues;
  }
}

/** A certificate authority problem: keyless mode, corrupt PEM, key mismatch, bad chain. */
export class PkiError extends KubesmithError {
  readonly code = 'E_PKI' as const;
  readonly exitCode = 1;
}

/** A template referenced a field the view model does not have (handlebars strict mode). */
export class TemplateError extends KubesmithError {
  readonly code = 'E_TEMPLATE' as const;
  readonly exitCode = 1;
}

/** Local state directory problems (permissions, unreadable files). */
export class StateError extends KubesmithError {
  readonly code = 'E_STATE' as const;
  readonly exitCode = 1;
}

/** Offline bundle problems: missing artifact, checksum mismatch. */
export class BundleError extends KubesmithError {
  readonly code = 'E_BUNDLE' as const;
  readonly exitCode = 1;
}

/** SSH connection failures. `retryable` is false for auth failures and host-key problems. */
export class SshError extends KubesmithError {
  readonly exitCode = 1;
  readonly code: 'E_SSH_CONNECT' | 'E_SSH_AUTH' | 'E_SSH_HOSTKEY';
  readonly host: string;
  readonly retryable: boolean;
  constructor(
    code: 'E_SSH_CONNECT' | 'E_SSH_AUTH' | 'E_SSH_HOSTKEY',
    host: string,
    message: string,
    opts: ErrorOptions = {},
  ) {
    super(`${host}: ${message}`, opts);
    this.code = code;
    this.host = host;
    this.retryable = code === 'E_SSH_CONNECT';
  }
}

/** A remote command exited non-zero. */
export class RemoteCommandError extends KubesmithError {
  readonly code = 'E_REMOTE_EXIT' as const;
  readonly exitCode = 1;
  readonly host: string;
  readonly command: string;
  readonly remoteExitCode: number;
  readonly stderrTail: string;
  constructor(host: string, command: string, remoteExitCode: number, stderrTail: string, opts: ErrorOptions = {}) {
    super(`${host}: command failed with exit code ${remoteExitCode}: ${command}`, {
      ...opts,
      detail: [...(opts.detail ?? []), ...stderrTail.split('\n').filter((l) => l.trim() !== '')],
    });
    this.host = host;
    this.command = command;
    this.remoteExitCode = remoteExitCode;
    this.stderrTail = stderrTail;
  }
}

/** Another apply holds the cluster lock. */
export class LockedError extends KubesmithError {
  readonly code = 'E_LOCKED' as const;
  readonly exitCode = 1;
}

/** Kubernetes API request failed (status, identity used). */
export class ApiError extends KubesmithError {
  readonly code = 'E_API' as const;
  readonly exitCode = 1;
  readonly status: number | undefined;
  constructor(message: string, status: number | undefined, opts: ErrorOptions = {}) {
    super(message, opts);
    this.status = status;
  }
}

/** One host's failure inside a phase. */
export interface HostFailure {
  readonly host: string;
  readonly step: string;
  readonly error: Error;
}

/** A phase failed on one or more hosts; every failure is kept as an object. */
export class PhaseError extends KubesmithError {
  readonly code = 'E_PHASE' as const;
  readonly exitCode = 1;
  readonly phase: string;
  readonly failures: readonly HostFailure[];
  constructor(phase: string, failures: readonly HostFailure[], opts: ErrorOptions = {}) {
    super(`${phase}: failed on ${failures.length} host${failures.length === 1 ? '' : 's'}`, {
      ...opts,
      detail: failures.flatMap((f) => [
        `${f.host}: ${f.step}: ${f.error.message}`,
        ...(f.error instanceof KubesmithError ? f.error.detail.map((d) => `  ${d}`) : []),
        ...(f.error instanceof KubesmithError && f.error.hint ? [`  hint: ${f.error.hint}`] : []),
      ]),
    });
    this.phase = phase;
    this.failures = failures;
  }
}

/**
 * The run was stopped from outside: Ctrl-C (exit 130), SIGTERM (143), SIGHUP (129), or its output
 * was closed (141, as a SIGPIPE death shows in the shell). `exitCode` defaults to 130.
 */
export class Interrupted extends KubesmithError {
  readonly code = 'E_ABORT' as const;
  readonly exitCode: number;
  constructor(message: string, opts: ErrorOptions & { readonly exitCode?: number } = {}) {
    super(message, opts);
    this.exitCode = opts.exitCode ?? 130;
  }
}

/** A bug in kubesmith. Exit 70. */
export class InternalError extends KubesmithError {
  readonly code = 'E_INTERNAL' as const;
  readonly exitCode = 70;
}
