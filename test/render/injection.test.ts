/**
 * #13 item 6: no value can break out of its token in a rendered file. Bypassing validation (values
 * put straight into the Inventory or the template views), every template is rendered with hostile
 * values (quotes, line breaks, [section], %, $, backslashes, #, ;, }, U+2028, NUL, YAML indicators)
 * and read back with the real parser of its format: here containerd `config dump` (TOML), the
 * `yaml` package in YAML 1.2 and 1.1 (go-yaml) modes and JSON.parse; units, nginx and keepalived in
 * injection-programs.test.ts. Each file must parse to the same structure as with a harmless
 * marker, with the hostile value in the marker's place; formats that cannot carry a value refuse
 * with a TemplateError instead, and only for the values they document.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { ESCAPERS } from '../../src/render/escape.js';
import { TemplateError } from '../../src/shared/errors.js';
import { exampleInventory } from '../support/inventory-builder.js';
import { HOSTILE, HOSTILE_KINDS, tomlDump } from './support/hostile.js';
import { expectLegitimateRefusal, leaves, MARK, planOf, recordedViews, render, setAt } from './support/injection.js';

const run = promisify(execFile);
const ROOT = new URL('../../', import.meta.url).pathname;
const scratch = mkdtempSync(join(tmpdir(), 'kubesmith-injection-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const CONTAINERD = spawnSync('containerd', ['--version']).status === 0;
if (!CONTAINERD) console.warn('injection tests: containerd is not installed; the TOML real-parser checks are skipped');

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
    // containerd 1.x (config version 2), the version Debian bookworm's containerd 1.6 reads.
    const plan = await planOf(exampleInventory({ containerd: { ...base.containerd, version: 'v1.7.29', sandboxImage: evil, snapshotter: 'native"\nx = "' } }));
    const toml = plan.hosts[2]!.artifacts.find((a) => a.path === '/etc/containerd/config.toml')!.content as string;
    const dump = await containerdDump(toml, 'issue');
    expect(dump.filter((l) => l.includes('evil'))).toEqual([`[plugins."io.containerd.grpc.v1.cri"] sandbox_image = ${JSON.stringify(evil)}`]);
    expect(dump).toContain(`[plugins."io.containerd.grpc.v1.cri".containerd] snapshotter = ${JSON.stringify('native"\nx = "')}`);
  });
});

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
