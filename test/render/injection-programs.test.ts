/**
 * #13 item 6, the formats read by programs: every unit (systemd-analyze verify, plus a decoder of
 * systemd's quoting checked against it), the nginx stream config (nginx -t) and keepalived.conf
 * (keepalived -t), rendered with hostile values straight into their views (bypassing validation).
 * Each value reads back as one argument or word, or the escaper refuses it where documented.
 */
import { execFile, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { TemplateError } from '../../src/shared/errors.js';
import { execCommands, HOSTILE_KINDS } from './support/hostile.js';
import { expectLegitimateRefusal, leaves, MARK, recordedViews, render, setAt } from './support/injection.js';

const run = promisify(execFile);
const scratch = mkdtempSync(join(tmpdir(), 'kubesmith-injection-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const SYSTEM_UNITS = ['/usr/lib/systemd/system', '/lib/systemd/system'].find((d) => existsSync(join(d, 'multi-user.target')));
const ANALYZE = SYSTEM_UNITS !== undefined && spawnSync('systemd-analyze', ['--version']).status === 0;
const NGINX = existsSync('/usr/sbin/nginx') && existsSync('/usr/lib/nginx/modules/ngx_stream_module.so');
const KEEPALIVED = existsSync('/usr/sbin/keepalived');
for (const [ok, what] of [[ANALYZE, 'systemd-analyze'], [NGINX, 'nginx + libnginx-mod-stream'], [KEEPALIVED, 'keepalived']] as const) {
  if (!ok) console.warn(`injection tests: ${what} is not installed; its real-parser check is skipped`);
}

/** Arguments appended to or replaced by the hostile value; or the executable paths (exec, modprobe) appended to. */
const UNIT_VARIANTS: readonly [string, (isArg: boolean, old: string, h: string) => string][] = [
  ['args appended', (isArg, old, h) => (isArg ? old + h : old)],
  ['args alone', (isArg, old, h) => (isArg ? h : old)],
  ['executable', (isArg, old, h) => (isArg ? old : old + h)],
];

describe.skipIf(!ANALYZE)('systemd units, every argument at once', () => {
  it('systemd-analyze verify passes on every unit and each command decodes to exactly the hostile argv', async () => {
    const views = [...(await recordedViews())].filter(([n]) => n.startsWith('units/'));
    expect(views.length).toBe(10);
    const root = join(scratch, 'units');
    cpSync(SYSTEM_UNITS!, join(root, 'usr/lib/systemd/system'), { recursive: true });
    const unitDir = join(root, 'etc/systemd/system');
    mkdirSync(unitDir, { recursive: true });
    const staged: string[] = [];
    let n = 0;
    for (const [name, view] of views) {
      for (const [variant, make] of UNIT_VARIANTS) {
        const fill = (h: string) => leaves(view).reduce((v: unknown, leaf) => setAt(v, leaf, (o) => make(leaf[0] === 'args', o, h)), view);
        const expected = execCommands(render(name, fill(MARK)) as string);
        for (const h of HOSTILE_KINDS) {
          const where = `${name} (${variant}) ${JSON.stringify(h)}`;
          const out = render(name, fill(h));
          if (out instanceof TemplateError) {
            expectLegitimateRefusal(out, variant === 'executable' ? `/x${h}` : h, where);
            continue;
          }
          const commands = execCommands(out);
          expect(commands, where).toEqual(expected.map(([k, argv]) => [k, argv.map((w) => w.split(MARK).join(h))]));
          const file = `t${n++}-${name.slice('units/'.length, -'.hbs'.length)}`;
          writeFileSync(join(unitDir, file), out);
          staged.push(`/etc/systemd/system/${file}`);
          for (const [key, argv] of commands) {
            if (key === 'ExecStartPre' && argv[0]!.startsWith('/sbin/modprobe')) continue; // "-" prefix: may be missing
            mkdirSync(dirname(join(root, argv[0]!)), { recursive: true });
            writeFileSync(join(root, argv[0]!), '#!/bin/sh\n');
            chmodSync(join(root, argv[0]!), 0o755);
          }
        }
      }
    }
    expect(staged.length).toBeGreaterThan(10 * 2 * (HOSTILE_KINDS.length - 2));
    const r = spawnSync('systemd-analyze', ['verify', `--root=${root}`, ...staged], { encoding: 'utf8', maxBuffer: 64 << 20 });
    expect({ status: r.status, output: `${r.stdout}${r.stderr}`.trim() }).toEqual({ status: 0, output: '' });
  });
});

const NGINX_SYNTAX = /unknown directive|unexpected|invalid number of arguments|is not terminated|unbalanced|directive is not allowed here/;

describe.skipIf(!NGINX)('nginx stream config, each field', () => {
  it('nginx -t reads each hostile value as one argument (passes, or names exactly that value), or it is refused', async () => {
    const view = (await recordedViews()).get('manifests/nginx-stream.conf.hbs')!;
    const jobs: Promise<void>[] = [];
    let i = 0;
    // One element of each list: the others are rendered by the same template line.
    for (const leaf of leaves(view).filter((l) => !l.some((k) => typeof k === 'number' && k > 0))) {
      for (const h of HOSTILE_KINDS) {
        const value = String(leaf.reduce((v: any, k) => v[k], view)) + h;
        const where = `${leaf.join('.')} ${JSON.stringify(h)}`;
        const out = render('manifests/nginx-stream.conf.hbs', setAt(view, leaf, () => value));
        if (out instanceof TemplateError) {
          expectLegitimateRefusal(out, value, where);
          continue;
        }
        if (/^[A-Za-z0-9_.:/@+=,[\]-]*$/.test(h)) continue; // rendered as is: nothing can break out
        const file = join(scratch, `nginx-${i++}.conf`);
        writeFileSync(file, leaf[0] === 'pidFile' ? out : out.replace(/^pid .*;$/m, `pid ${scratch}/nginx.pid;`));
        jobs.push(
          run('/usr/sbin/nginx', ['-e', 'stderr', '-t', '-c', file], { encoding: 'utf8' }).then(
            () => undefined,
            (e: { stderr: string }) => {
              expect(e.stderr, where).not.toMatch(NGINX_SYNTAX);
              expect(e.stderr, where).toContain(value);
            },
          ),
        );
      }
    }
    await Promise.all(jobs);
    expect(i).toBeGreaterThan(20);
  });
});

const KEEPALIVED_SYNTAX = /Unknown keyword|Unterminated quote|Unmatched quote|SECURITY VIOLATION/;

describe.skipIf(!KEEPALIVED)('keepalived config, each field', () => {
  it('keepalived -t reads each accepted value as one word; everything else is refused', async () => {
    const view = (await recordedViews()).get('manifests/keepalived.conf.hbs')!;
    const jobs: Promise<void>[] = [];
    let accepted = 0;
    for (const leaf of leaves(view)) {
      for (const h of HOSTILE_KINDS) {
        const value = String(leaf.reduce((v: any, k) => v[k], view)) + h;
        const out = render('manifests/keepalived.conf.hbs', setAt(view, leaf, () => value));
        if (out instanceof TemplateError) {
          expectLegitimateRefusal(out, value, `${leaf.join('.')} ${JSON.stringify(h)}`);
          continue;
        }
        const file = join(scratch, `keepalived-${accepted++}.conf`);
        writeFileSync(file, out);
        const where = `${leaf.join('.')} ${JSON.stringify(h)}`;
        jobs.push(
          run('/usr/sbin/keepalived', ['-t', '-l', '-n', '-f', file], { encoding: 'utf8' }).then(
            (r) => expect(`${r.stdout}${r.stderr}`, where).not.toMatch(KEEPALIVED_SYNTAX),
            (e: { stdout: string; stderr: string }) => expect(`${e.stdout}${e.stderr}`, where).not.toMatch(KEEPALIVED_SYNTAX),
          ),
        );
      }
    }
    await Promise.all(jobs);
    expect(accepted).toBeGreaterThan(5);
  });
});
