/**
 * DeployEvent -> human output. Plain lines when not on a TTY (CI logs):
 *   ==> Install etcd (3 hosts)
 *     node01: 2 files changed, restarted etcd.service
 * On a TTY the same permanent lines scroll above a live block with one line per host being worked
 * on (its phase and last step) and one counting the hosts still waiting, redrawn in place. Dry-run
 * prints every step with new / changed / unchanged.
 */
import type { Writable } from 'node:stream';
import type { DeployEvent, HostSummary } from '../deploy/events.js';
import { KubesmithError } from '../shared/errors.js';

/** Output settings. */
export interface ReporterOptions {
  readonly out: Writable;
  readonly live: boolean;
  readonly color: boolean;
  /** Print unchanged steps in apply too (dry-run always prints every step). */
  readonly verbose?: boolean;
  /** The command named in the first line. @default "apply" */
  readonly command?: string;
  /** Print every changed step, not only files in the host summary (etcd restore: stops, restores, starts). */
  readonly changedSteps?: boolean;
  /**
   * Redraw the live block at most this often (0: after every event). A 5,000-host run has some
   * 265,000 events: redrawing the block for each wrote 160 MB to the terminal. @default 100
   */
  readonly redrawMs?: number;
}

/** A reporter: feed it every event. `finish()` clears the live block. */
export interface Reporter {
  (event: DeployEvent): void;
  finish(): void;
}

const paint = (on: boolean, code: string, s: string): string => (on ? `\x1b[${code}m${s}\x1b[0m` : s);

/** Formats a duration like "2m14s" / "3.2s". */
export function formatDuration(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  return `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`;
}

/** A simple aligned text table. */
export function formatTable(columns: readonly string[], rows: readonly (readonly string[])[], indent = '  '): string {
  const widths = columns.map((c, i) => Math.max(c.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => indent + cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(columns), ...rows.map(line)].join('\n');
}

function summaryTable(hosts: readonly HostSummary[]): string {
  return formatTable(
    ['HOST', 'FILES CHANGED', 'RESTARTED', 'DURATION', 'RESULT'],
    hosts.map((h) => [h.host, String(h.changed), h.restarted.join(',') || '-', formatDuration(h.durationMs), h.failedIn ? `failed in ${h.failedIn}` : 'ok']),
  );
}

/** Creates a reporter writing to `opts.out`. */
export function createReporter(opts: ReporterOptions): Reporter {
  const c = opts.color;
  let dryRun = false;
  let drawn = 0;
  let quietHosts = 0;
  const live = new Map<string, string>();
  // Hosts of the phase not started yet: counted in one line, not drawn one by one. A line per
  // waiting host made the block as tall as the fleet, and every event redrew it all: quadratic
  // in hosts (5,000 lines redrawn per event), and taller than any terminal.
  const waiting = new Set<string>();
  const clear = (): void => {
    if (opts.live && drawn > 0) opts.out.write(`\x1b[${drawn}A\x1b[J`);
    drawn = 0;
  };
  const draw = (): void => {
    if (!opts.live || (live.size === 0 && waiting.size === 0)) return;
    const { columns, rows } = opts.out as { columns?: number; rows?: number };
    const cols = Number(columns ?? 100);
    // Never taller than the terminal: the cursor cannot move up past its top line.
    const room = Math.max(2, Number(rows ?? 24) - 2) - (waiting.size > 0 ? 1 : 0);
    const shown = [...live].slice(0, live.size > room ? room - 1 : room).map(([h, s]) => `${h}: ${s}`);
    if (live.size > shown.length) shown.push(`... ${live.size - shown.length} more hosts`);
    if (waiting.size > 0) shown.push(`${waiting.size} host${waiting.size === 1 ? '' : 's'} waiting`);
    const lines = shown.map((l) => `  ${paint(c, '2', l)}`.slice(0, cols + (c ? 8 : 0)));
    opts.out.write(`${lines.join('\n')}\n`);
    drawn = lines.length;
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  /** Draws the block again now, or at the end of the current redraw period. */
  const redraw = (): void => {
    if (!opts.live) return;
    const every = opts.redrawMs ?? 100;
    if (every <= 0) return void (clear(), draw());
    if (timer !== undefined) return;
    timer = setTimeout(() => {
      timer = undefined;
      clear();
      draw();
    }, every);
    timer.unref();
  };
  const print = (line: string): void => {
    clear();
    opts.out.write(`${line}\n`);
    redraw();
  };
  const status = (host: string, text: string): void => {
    if (!opts.live) return;
    waiting.delete(host);
    live.set(host, text);
    redraw();
  };

  const reporter = ((e: DeployEvent): void => {
    switch (e.type) {
      case 'run-start':
        dryRun = e.dryRun;
        print(`kubesmith ${opts.command ?? 'apply'}: ${e.hosts.length} host${e.hosts.length === 1 ? '' : 's'}, phases: ${e.phases.join(' -> ')}`);
        if (e.dryRun) print(paint(c, '33', 'dry-run: reading only; nothing is written to any host and no lock is taken'));
        return;
      case 'phase-start':
        live.clear();
        waiting.clear();
        quietHosts = 0;
        if (opts.live) for (const h of e.hosts) waiting.add(h);
        print(paint(c, '1', `==> ${e.title} (${e.hosts.length} host${e.hosts.length === 1 ? '' : 's'})`));
        return;
      case 'step':
        status(e.host, `${e.phase}: ${e.step}`);
        if (dryRun || opts.verbose || e.status === 'warning' || (opts.changedSteps === true && e.status === 'changed')) {
          const tag = e.status === 'changed' ? paint(c, '33', dryRun ? 'would change' : 'changed') : e.status === 'warning' ? paint(c, '33', 'warning') : e.status;
          if (dryRun || e.status !== 'unchanged' || opts.verbose) print(`  ${e.host}: ${tag}: ${e.step}${e.detail ? ` (${e.detail})` : ''}`);
        }
        return;
      case 'upload':
        status(e.host, `uploaded ${e.path} (${(e.bytes / 1e6).toFixed(0)} MB in ${formatDuration(e.durationMs)})`);
        return;
      case 'warning':
        print(`  ${e.host}: ${paint(c, '33', 'warning')}: ${e.message}`);
        return;
      case 'host-done': {
        live.delete(e.host);
        waiting.delete(e.host);
        // Hosts with nothing to say are summed up once at phase-done.
        if (e.changed === 0 && e.restarted.length === 0 && e.notes.length === 0) {
          quietHosts += 1;
          redraw(); // its line leaves the block (not only at the next event)
          return;
        }
        const what = dryRun
          ? `${e.changed} file${e.changed === 1 ? '' : 's'} would change${e.restarted.length ? `, would restart ${e.restarted.join(', ')}` : ''}`
          : `${e.changed === 0 ? 'no files changed' : `${e.changed} file${e.changed === 1 ? '' : 's'} changed`}${e.restarted.length ? `, restarted ${e.restarted.join(', ')}` : ''}`;
        print(`  ${e.host}: ${what}`);
        for (const n of e.notes) print(`    ${n}`);
        return;
      }
      case 'host-failed': {
        live.delete(e.host);
        waiting.delete(e.host);
        print(`  ${e.host}: ${paint(c, '31', 'FAILED')} at ${e.step}: ${e.error.message.split('\n')[0] ?? ''}`);
        if (e.error instanceof KubesmithError) for (const d of e.error.detail.slice(0, 10)) print(`    ${d}`);
        return;
      }
      case 'rollout':
        print(`  ${e.host === undefined ? '' : `${e.host}: `}${e.message}`);
        return;
      case 'report':
        print(`  ${e.title}:`);
        print(formatTable(e.columns, e.rows, '    '));
        return;
      case 'phase-done':
        live.clear();
        waiting.clear();
        if (quietHosts > 0) print(`  ${quietHosts} host${quietHosts === 1 ? '' : 's'}: ${dryRun ? 'nothing would change' : 'no changes'}`);
        quietHosts = 0;
        clear();
        return;
      case 'run-done':
        print(summaryTable(e.hosts));
        print(paint(c, '1', `==> ${dryRun ? 'Dry-run finished' : 'Finished'} in ${formatDuration(e.durationMs)}`));
        return;
    }
  }) as Reporter;
  reporter.finish = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    live.clear();
    waiting.clear();
    clear();
  };
  return reporter;
}
