/**
 * The live TTY view of `apply`: permanent lines scroll above a block with one line per host that is
 * redrawn in place (cursor up + erase below). The output is fed through a minimal terminal that
 * understands exactly the sequences a TTY would act on, so the test sees what an operator sees:
 * the screen mid-phase, and the screen at the end (which must equal the plain, non-TTY output).
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createReporter } from '../../src/cli/reporter.js';
import type { DeployEvent } from '../../src/deploy/events.js';

/** A screen of full lines: text, "\n", ESC[<n>A (cursor up n lines, column 0), ESC[J (erase below). */
class Screen {
  lines: string[] = [''];
  row = 0;
  readonly out: Writable & { columns: number };
  constructor(columns: number) {
    this.out = Object.assign(new Writable({ write: (c, _e, cb) => (this.feed(String(c)), cb()) }), { columns });
  }
  private feed(s: string): void {
    for (const tok of s.match(/\x1b\[\d*[AJ]|\n|[^\x1b\n]+/g) ?? []) {
      const esc = /^\x1b\[(\d*)([AJ])$/.exec(tok);
      if (esc?.[2] === 'A') this.row = Math.max(0, this.row - Number(esc[1] || 1));
      else if (esc?.[2] === 'J') this.lines.length = this.row + 1, (this.lines[this.row] = '');
      else if (tok === '\n') (this.row += 1), (this.lines[this.row] ??= '');
      else if (tok.includes('\x1b')) throw new Error(`unexpected escape sequence ${JSON.stringify(tok)}`);
      else this.lines[this.row] = (this.lines[this.row] ?? '') + tok;
    }
  }
  /** What is on screen, without the empty line the cursor sits on. */
  text(): string {
    return this.lines.slice(0, this.row).concat(this.lines[this.row] ? [this.lines[this.row] as string] : []).join('\n');
  }
}

const LONG = `put /opt/kubernetes/bin/${'kube-apiserver-'.repeat(10)}`;
const EVENTS: readonly DeployEvent[] = [
  { type: 'run-start', hosts: ['cp1', 'wk1', 'wk2'], phases: ['binaries'], dryRun: false, lock: 'flock' },
  { type: 'phase-start', phase: 'binaries', title: 'Install binaries', hosts: ['cp1', 'wk1', 'wk2'] },
  { type: 'step', phase: 'binaries', host: 'cp1', step: 'put /opt/etcd/bin/etcd', status: 'changed', detail: 'new', secret: false },
  { type: 'upload', host: 'wk1', path: '/opt/kubernetes/bin/kubelet', bytes: 120_000_000, durationMs: 900 },
  { type: 'step', phase: 'binaries', host: 'wk2', step: LONG, status: 'changed', detail: 'new', secret: false },
];
const REST: readonly DeployEvent[] = [
  { type: 'warning', phase: 'binaries', host: 'wk2', message: 'disk almost full' },
  { type: 'host-done', phase: 'binaries', host: 'cp1', changed: 1, restarted: [], durationMs: 10, notes: [] },
  { type: 'host-done', phase: 'binaries', host: 'wk1', changed: 0, restarted: [], durationMs: 10, notes: [] },
  { type: 'host-done', phase: 'binaries', host: 'wk2', changed: 0, restarted: [], durationMs: 10, notes: [] },
  { type: 'phase-done', phase: 'binaries', durationMs: 30, failed: [] },
  { type: 'run-done', durationMs: 1500, dryRun: false, hosts: [{ host: 'cp1', changed: 1, restarted: [], durationMs: 10 }, { host: 'wk1', changed: 0, restarted: [], durationMs: 10 }, { host: 'wk2', changed: 0, restarted: [], durationMs: 10 }] },
];

function plain(events: readonly DeployEvent[]): string {
  let buf = '';
  const r = createReporter({ out: new Writable({ write: (c, _e, cb) => ((buf += String(c)), cb()) }), live: false, color: false });
  for (const e of events) r(e);
  return buf.replace(/\n$/, '');
}

describe('reporter (live TTY view)', () => {
  it('redraws one line per host below the permanent lines, cut to the terminal width', () => {
    const screen = new Screen(60);
    const r = createReporter({ out: screen.out, live: true, color: false, redrawMs: 0 });
    for (const e of EVENTS) r(e);
    expect(screen.text().split('\n')).toEqual([
      'kubesmith apply: 3 hosts, phases: binaries',
      '==> Install binaries (3 hosts)',
      '  cp1: binaries: put /opt/etcd/bin/etcd',
      '  wk1: uploaded /opt/kubernetes/bin/kubelet (120 MB in 0.9s)',
      `  ${`wk2: binaries: ${LONG}`.slice(0, 58)}`,
    ]);
  });

  it('a permanent line lands above the block, which follows it; done hosts leave the block', () => {
    const screen = new Screen(200);
    const r = createReporter({ out: screen.out, live: true, color: false, redrawMs: 0 });
    for (const e of [...EVENTS, ...REST.slice(0, 2)]) r(e);
    expect(screen.text().split('\n')).toEqual([
      'kubesmith apply: 3 hosts, phases: binaries',
      '==> Install binaries (3 hosts)',
      '  wk2: warning: disk almost full',
      '  cp1: 1 file changed',
      '  wk1: uploaded /opt/kubernetes/bin/kubelet (120 MB in 0.9s)',
      `  wk2: binaries: ${LONG}`,
    ]);
  });

  it('ends on exactly the plain output: no live line is left behind', () => {
    const screen = new Screen(80);
    const r = createReporter({ out: screen.out, live: true, color: false, redrawMs: 0 });
    for (const e of [...EVENTS, ...REST]) r(e);
    r.finish();
    expect(screen.text()).toBe(plain([...EVENTS, ...REST]));
  });

  it('finish() clears the block of an interrupted run', () => {
    const screen = new Screen(80);
    const r = createReporter({ out: screen.out, live: true, color: false, redrawMs: 0 });
    for (const e of EVENTS) r(e);
    r.finish();
    expect(screen.text()).toBe(['kubesmith apply: 3 hosts, phases: binaries', '==> Install binaries (3 hosts)'].join('\n'));
  });

  it('a 5,000-host phase: a line per host at work and one for those waiting; a redraw does not grow with the fleet', () => {
    const screen = new Screen(120);
    Object.assign(screen.out, { rows: 40 });
    let bytes = 0;
    screen.out.on('pipe', () => undefined);
    const write = screen.out.write.bind(screen.out);
    screen.out.write = ((chunk: string, ...rest: never[]) => ((bytes += String(chunk).length), write(chunk, ...rest))) as typeof screen.out.write;
    const r = createReporter({ out: screen.out, live: true, color: false, redrawMs: 0 });
    const hosts = Array.from({ length: 5000 }, (_, i) => `node-${i}`);
    r({ type: 'run-start', hosts, phases: ['nodes'], dryRun: false, lock: 'flock' });
    r({ type: 'phase-start', phase: 'nodes', title: 'Install nodes', hosts });
    for (const h of hosts.slice(0, 10)) r({ type: 'step', phase: 'nodes', host: h, step: 'put /etc/x', status: 'unchanged' });
    expect(screen.text().split('\n')).toEqual([
      'kubesmith apply: 5000 hosts, phases: nodes',
      '==> Install nodes (5000 hosts)',
      ...hosts.slice(0, 10).map((h) => `  ${h}: nodes: put /etc/x`),
      '  4990 hosts waiting',
    ]);
    bytes = 0;
    r({ type: 'step', phase: 'nodes', host: 'node-3', step: 'put /etc/y', status: 'unchanged' });
    expect(bytes).toBeLessThan(1000); // the 11-line block, not 5,000 lines
    for (const h of hosts.slice(0, 10)) r({ type: 'host-done', phase: 'nodes', host: h, changed: 0, restarted: [], durationMs: 1, notes: [] });
    expect(screen.text().split('\n').slice(2)).toEqual(['  4990 hosts waiting']);
  });

  it('never draws a block taller than the terminal', () => {
    const screen = new Screen(80);
    Object.assign(screen.out, { rows: 8 });
    const r = createReporter({ out: screen.out, live: true, color: false, redrawMs: 0 });
    const hosts = Array.from({ length: 20 }, (_, i) => `h${i}`);
    r({ type: 'phase-start', phase: 'nodes', title: 'Install nodes', hosts });
    for (const h of hosts.slice(0, 12)) r({ type: 'step', phase: 'nodes', host: h, step: 'put /etc/x', status: 'unchanged' });
    expect(screen.text().split('\n')).toEqual(['==> Install nodes (20 hosts)', ...hosts.slice(0, 4).map((h) => `  ${h}: nodes: put /etc/x`), '  ... 8 more hosts', '  8 hosts waiting']);
  });

  it('redraws the block at most every redrawMs: a burst of events writes the permanent lines, the block once after', async () => {
    const screen = new Screen(120);
    let bytes = 0;
    const write = screen.out.write.bind(screen.out);
    screen.out.write = ((chunk: string, ...rest: never[]) => ((bytes += String(chunk).length), write(chunk, ...rest))) as typeof screen.out.write;
    const r = createReporter({ out: screen.out, live: true, color: false, redrawMs: 30 });
    const hosts = Array.from({ length: 10 }, (_, i) => `h${i}`);
    r({ type: 'phase-start', phase: 'nodes', title: 'Install nodes', hosts });
    bytes = 0;
    for (let i = 0; i < 1000; i++) r({ type: 'step', phase: 'nodes', host: hosts[i % 10] ?? '', step: `put /etc/${i}`, status: 'unchanged' });
    expect(bytes).toBeLessThan(2000); // one block (10 lines) at most, not 1,000
    await new Promise((res) => setTimeout(res, 60));
    expect(screen.text().split('\n')).toEqual(['==> Install nodes (10 hosts)', ...hosts.map((h, i) => `  ${h}: nodes: put /etc/${990 + i}`)]);
    r.finish();
    expect(screen.text()).toBe('==> Install nodes (10 hosts)');
  });
});
