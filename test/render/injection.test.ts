/**
 * #13 item 6: no value can break out of its token in a rendered file. Bypassing validation (values
 * put straight into the Inventory or the template views), every template is rendered with hostile
 * values (quotes, line breaks, [section], %, $, backslashes, #, ;, }, U+2028, NUL, YAML indicators)
 * and read back with the real parser of its format: containerd `config dump` (TOML),
 * `systemd-analyze verify` (units), `nginx -t`, `keepalived -t`, the `yaml` package in YAML 1.2
 * and 1.1 (go-yaml) modes, JSON.parse. Each file must parse to the same structure as with a harmless
 * marker, with the hostile value in the marker's place; formats that cannot carry a value refuse
 * with a TemplateError instead, and only for the values they document.
 */
import { execFile, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { Inventory } from '../../src/inventory/types.js';
import { buildPlan } from '../../src/plan/build-plan.js';
import { createEngine } from '../../src/render/engine.js';
import { ESCAPERS } from '../../src/render/escape.js';
import { TemplateError } from '../../src/shared/errors.js';
import { aHost, exampleInventory } from '../support/inventory-builder.js';
import { pkiFixture } from '../support/pki-fixture.js';
import { execCommands, HOSTILE, HOSTILE_KINDS, tomlDump } from './support/hostile.js';
import { FIXED_NOW, recordingEngine } from './support/render.js';
import { shippedTemplates } from './support/templates.js';

const run = promisify(execFile);
const ROOT = new URL('../../', import.meta.url).pathname;
const scratch = mkdtempSync(join(tmpdir(), 'kubesmith-injection-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const has = (cmd: string, args: string[]): boolean => spawnSync(cmd, args).status === 0;
const CONTAINERD = has('containerd', ['--version']);
const SYSTEM_UNITS = ['/usr/lib/systemd/system', '/lib/systemd/system'].find((d) => existsSync(join(d, 'multi-user.target')));
const ANALYZE = SYSTEM_UNITS !== undefined && has('systemd-analyze', ['--version']);
const NGINX = existsSync('/usr/sbin/nginx') && existsSync('/usr/lib/nginx/modules/ngx_stream_module.so');
const KEEPALIVED = existsSync('/usr/sbin/keepalived');
for (const [ok, what] of [[CONTAINERD, 'containerd'], [ANALYZE, 'systemd-analyze'], [NGINX, 'nginx + libnginx-mod-stream'], [KEEPALIVED, 'keepalived']] as const) {
  if (!ok) console.warn(`injection tests: ${what} is not installed; its real-parser check is skipped`);
}

/** The PKI of the example, issued once: hostile values go into fields the certificates do not use. */
const pki = pkiFixture(exampleInventory(), { now: FIXED_NOW });
async function planOf(inv: Inventory) {
  return buildPlan({ inventory: inv, pki: await pki, pkiDecisions: [], templates: shippedTemplates() });
}

async function containerdDump(toml: string, name: string): Promise<string[]> {
  const file = join(scratch, `${name}.toml`);
  writeFileSync(file, toml);
  const r = await run('containerd', ['--config', file, 'config', 'dump'], { encoding: 'utf8' });
  return tomlDump(r.stdout);
}

describe('every template interpolation goes through a per-format escaper', () => {
  it('has no {{x}} or {{{x}}} outside toml/yaml/json/unitArg/nginx/keepalived/corefile/comment', () => {
    const helpers = Object.keys(ESCAPERS);
    const offenders: string[] = [];
    for (const dir of ['units', 'manifests']) {
      for (const f of readdirSync(join(ROOT, dir)).filter((n) => n.endsWith('.hbs'))) {
        readFileSync(join(ROOT, dir, f), 'utf8').split('\n').forEach((line, i) => {
          for (const m of line.matchAll(/\{\{(\{?)~?\s*([^}]*?)\s*~?\}\}/g)) {
            const expr = m[2]!;
            if (m[1] === '{') offenders.push(`${dir}/${f}:${i + 1}: triple-stash {{{${expr}}}}`);
            else if (/^[#/!]|^else\b/.test(expr)) continue;
            else if (!helpers.includes(expr.split(/\s+/)[0]!) || expr.split(/\s+/).length < 2) offenders.push(`${dir}/${f}:${i + 1}: {{${expr}}}`);
          }
        });
      }
    }
    expect(offenders).toEqual([]);
  });
});

describe.skipIf(!CONTAINERD)('containerd.sandboxImage and snapshotter (TOML), bypassing validation', () => {
  it('the issue\'s value stays one string: no [plugins.evil] section, sandbox_image reads back exactly', async () => {
    const evil = 'registry.k8s.io/pause:3.9"\n[plugins.evil]\n  x = 1\n#';
    const base = exampleInventory();
    const plan = await planOf(exampleInventory({ containerd: { ...base.containerd, sandboxImage: evil, snapshotter: 'native"\nx = "' } }));
    const toml = plan.hosts[2]!.artifacts.find((a) => a.path === '/etc/containerd/config.toml')!.content as string;
    const dump = await containerdDump(toml, 'issue');
    expect(dump.filter((l) => l.includes('evil'))).toEqual([`[plugins."io.containerd.grpc.v1.cri"] sandbox_image = ${JSON.stringify(evil)}`]);
    expect(dump).toContain(`[plugins."io.containerd.grpc.v1.cri".containerd] snapshotter = ${JSON.stringify('native"\nx = "')}`);
  });
});

/** Recorded views of every template (example and VIP variants), computed once. */
let views: Promise<ReadonlyMap<string, object>> | undefined;
function recordedViews(): Promise<ReadonlyMap<string, object>> {
  views ??= recordViews();
  return views;
}
async function recordViews(): Promise<ReadonlyMap<string, object>> {
  const engine = recordingEngine();
  const base = exampleInventory();
  await buildPlan({ inventory: base, pki: await pki, pkiDecisions: [], templates: shippedTemplates(), engine });
  const vip = exampleInventory({
    cluster: { ...base.cluster, apiServer: { ...base.cluster.apiServer, ha: 'vip', vip: '192.168.80.88' } },
    hosts: [...base.hosts, aHost('lb01', '192.168.80.13', ['loadbalancer'])],
  });
  await buildPlan({ inventory: vip, pki: await pkiFixture(vip, { now: FIXED_NOW }), pkiDecisions: [], templates: shippedTemplates(), engine });
  return engine.views;
}

type Path = readonly (string | number)[];
function leaves(v: unknown, at: Path = []): Path[] {
  if (typeof v === 'string') return [at];
  if (Array.isArray(v)) return v.flatMap((x, i) => leaves(x, [...at, i]));
  if (v !== null && typeof v === 'object') return Object.entries(v).flatMap(([k, x]) => leaves(x, [...at, k]));
  return [];
}
function setAt(v: unknown, at: Path, f: (old: string) => string): unknown {
  if (at.length === 0) return f(v as string);
  const [head, ...rest] = at;
  const copy = (Array.isArray(v) ? [...v] : { ...(v as object) }) as Record<string | number, unknown>;
  copy[head!] = setAt(copy[head!], rest, f);
  return copy;
}

const MARK = 'kSmArKeR';
const engine = createEngine(shippedTemplates());
function render(name: string, view: unknown): string | TemplateError {
  try {
    return engine.render(name, view as object);
  } catch (err) {
    if (err instanceof TemplateError) return err;
    throw err;
  }
}

/** Which escaper may refuse which value (escape.ts documents each); anything else must render. */
const MAY_REFUSE: readonly [RegExp, (v: string) => boolean][] = [
  [/: comment: /, (v) => /[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufeff]/.test(v)],
  [/: Corefile: /, (v) => !/^[A-Za-z0-9_.:/-]+$/.test(v)],
  [/: keepalived: /, (v) => !/^[A-Za-z0-9_.:/@+=, -]+$/.test(v)],
  [/: nginx: /, (v) => /[\u0000$]/.test(v)],
  [/: systemd: /, (v) => v.includes('\u0000')],
  [/: systemd executable: /, (v) => !/^(\/[A-Za-z0-9_+@-][A-Za-z0-9._+@-]*)+$/.test(v)],
];
function expectLegitimateRefusal(err: TemplateError, value: string, where: string): void {
  const rule = MAY_REFUSE.find(([re]) => re.test(err.message));
  expect(rule, `${where}: unexpected refusal: ${err.message}`).toBeDefined();
  expect(rule![1](value), `${where}: refused a value the format can carry: ${err.message}`).toBe(true);
  expect(err.message).toMatch(/^\S+:\d+:\d+: refusing to render a value that could change the file's meaning/);
}

/** Parsed YAML documents (1.2 and go-yaml's 1.1), JSON blocks parsed too; throws on any parse error. */
function yamlData(text: string): unknown {
  const read = (version: '1.1' | '1.2') =>
    parseAllDocuments(text, { version }).map((d) => {
      if (d.errors.length > 0) throw new Error(`YAML ${version}: ${d.errors[0]!.message}`);
      return d.toJS({ maxAliasCount: 0 }) as unknown;
    });
  const v12 = read('1.2');
  expect(read('1.1'), 'YAML 1.1 (go-yaml) reads the same values').toEqual(v12);
  const deep = (v: unknown): unknown => {
    if (typeof v === 'string' && /^\s*\{\s*"/.test(v)) return { json: JSON.parse(v) as unknown };
    if (Array.isArray(v)) return v.map(deep);
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, deep(x)]));
    return v;
  };
  return deep(v12);
}
function replaceMark(v: unknown, h: string): unknown {
  if (typeof v === 'string') return v.split(MARK).join(h);
  if (Array.isArray(v)) return v.map((x) => replaceMark(x, h));
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [replaceMark(k, h) as string, replaceMark(x, h)]));
  return v;
}

const VARIANTS: readonly [string, (old: string, h: string) => string][] = [
  ['appended', (old, h) => old + h],
  ['alone', (_old, h) => h],
];

const YAML_TEMPLATES = [
  'manifests/etcd.conf.yml.hbs',
  'manifests/kubeconfig.yaml.hbs',
  'manifests/kubelet-config.yaml.hbs',
  'manifests/kube-proxy-config.yaml.hbs',
  'manifests/cluster-admins-rbac.yaml.hbs',
  'manifests/bootstrap-rbac.yaml.hbs',
  'manifests/flannel.yaml.hbs',
  'manifests/coredns.yaml.hbs',
];

describe('every YAML/JSON template, each string field, every hostile value', () => {
  it('covers every YAML template', async () => {
    expect([...(await recordedViews()).keys()].filter((n) => /\.ya?ml\.hbs$/.test(n)).sort()).toEqual([...YAML_TEMPLATES].sort());
  });

  it.each(YAML_TEMPLATES)('%s parses to the marker render\'s structure with the value in its place, or refuses where documented', async (name) => {
    const view = (await recordedViews()).get(name)!;
    let checked = 0;
    {
      for (const leaf of leaves(view)) {
        for (const [variant, make] of VARIANTS) {
          const marked = render(name, setAt(view, leaf, (o) => make(o, MARK)));
          if (marked instanceof TemplateError) throw marked;
          const expected = yamlData(marked);
          for (const h of HOSTILE) {
            const where = `${name} ${leaf.join('.')} (${variant}) ${JSON.stringify(h)}`;
            const value = make(String(leaf.reduce((v: any, k) => v[k], view)), h);
            const out = render(name, setAt(view, leaf, () => value));
            if (out instanceof TemplateError) expectLegitimateRefusal(out, value, where);
            else expect(yamlData(out), where).toEqual(replaceMark(expected, h));
            checked++;
          }
        }
      }
    }
    expect(checked).toBeGreaterThanOrEqual(2 * HOSTILE.length);
  });
});

describe.skipIf(!CONTAINERD)('containerd config (TOML), every field at once', () => {
  it('containerd reads every hostile value back exactly, nothing added', async () => {
    const view = (await recordedViews()).get('manifests/containerd-config.toml.hbs')!;
    const fill = (h: string) => leaves(view).reduce((v: unknown, leaf) => setAt(v, leaf, (o) => o + h), view);
    const dump = async (toml: string, file: string) => (await containerdDump(toml, file)).filter((l) => !l.startsWith(' imports = '));
    const expected = await dump(render('manifests/containerd-config.toml.hbs', fill(MARK)) as string, 'marker');
    const dumps = await Promise.all(HOSTILE_KINDS.map((h, i) => dump(render('manifests/containerd-config.toml.hbs', fill(h)) as string, `h${i}`)));
    HOSTILE_KINDS.forEach((h, i) => expect(dumps[i], JSON.stringify(h)).toEqual(expected.map((l) => l.split(MARK).join(JSON.stringify(h).slice(1, -1)))));
  });
});

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
