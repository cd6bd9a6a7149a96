/**
 * `kubesmith version --json` lists the supported ranges, and they are what validate really accepts:
 * every listed Kubernetes minor validates with the example inventory, the minors just outside do not;
 * every listed etcd minor validates, the upgrade-source minor only with a warning.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { validateInventory } from '../../src/inventory/validate.js';
import { expectedBundleFiles } from '../../src/plan/bundle-expected.js';
import { runCliCaptured } from '../support/cli-run.js';

const EXAMPLE = new URL('../../inventory.example.yaml', import.meta.url).pathname;
const example = readFileSync(EXAMPLE, 'utf8');

interface Info {
  version: string;
  kubernetes: { minors: string[] };
  etcd: { minors: string[]; upgradeSourceOnly: string[]; defaults: Record<string, string>; upgradeFloors: Record<string, string> };
  containerd: { default: string; configFormats: { containerd: string; configVersion: number; link: string }[] };
  node: { required: string; running: string };
  build: { layout: string; commit?: string };
  bundle: { files: { component: string; file: string; checksumFiles: string[] }[]; images: string };
}

function validates(k8s: string, etcd?: string): { ok: boolean; warnings: string[] } {
  let text = example.replace(/kubernetesVersion: v\S+/, `kubernetesVersion: ${k8s}`);
  text = etcd === undefined ? text.replace(/ {2}etcdVersion: v\S+.*\n.*\n/, '') : text.replace(/etcdVersion: v\S+/, `etcdVersion: ${etcd}`);
  const r = validateInventory(text, 'inventory.yaml', EXAMPLE);
  return { ok: r.inventory !== undefined, warnings: r.issues.filter((i) => i.severity === 'warning').map((i) => i.message) };
}

describe('kubesmith version --json', () => {
  it('prints the tool version and the ranges; plain `version` stays one line', async () => {
    const plain = await runCliCaptured(['version']);
    const r = await runCliCaptured(['version', '--json']);
    expect(r.code).toBe(0);
    const info = JSON.parse(r.out) as Info;
    expect(info.version).toBe(plain.out.trim());
    expect(info.containerd.configFormats.map((f) => [f.containerd, f.configVersion])).toEqual([['<=1.7', 2], ['2.0-2.2', 3], ['2.3+', 4]]);
    expect(info.etcd.upgradeFloors).toEqual({ '3.6': 'v3.5.26', '3.7': 'v3.6.11' });
    expect((await runCliCaptured(['--version', '--json'])).out).toBe(r.out);
  });

  it('lists exactly the Kubernetes minors validate accepts', async () => {
    const info = JSON.parse((await runCliCaptured(['version', '--json'])).out) as Info;
    expect(info.kubernetes.minors.length).toBeGreaterThan(3);
    for (const m of info.kubernetes.minors) expect(validates(`${m}.0`).ok, m).toBe(true);
    const [lo, hi] = [info.kubernetes.minors[0] ?? '', info.kubernetes.minors.at(-1) ?? ''];
    const shift = (m: string, d: number): string => m.replace(/\.(\d+)$/, (_, n: string) => `.${Number(n) + d}`);
    expect(validates(`${shift(lo, -1)}.0`).ok).toBe(false);
    expect(validates(`${shift(hi, 1)}.0`).ok).toBe(false);
  });

  it('lists the etcd minors validate accepts, and the upgrade-source minor it only warns about', async () => {
    const info = JSON.parse((await runCliCaptured(['version', '--json'])).out) as Info;
    for (const m of info.etcd.minors) expect(validates('v1.37.2', `v${m}.0`).warnings.filter((w) => /etcd/i.test(w)), m).toEqual([]);
    for (const m of info.etcd.upgradeSourceOnly) {
      const v = validates('v1.36.0', `v${m}.30`);
      expect(v.ok).toBe(true);
      expect(v.warnings.join(' ')).toMatch(/etcd/i);
    }
    expect(validates('v1.37.2', 'v3.4.30').ok).toBe(false);
  });

  it('names the Node.js it needs and the layout it runs from (npm here; the release artifact says bundle or sea)', async () => {
    const info = JSON.parse((await runCliCaptured(['version', '--json'])).out) as Info;
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { engines: { node: string } };
    expect(info.node).toEqual({ required: pkg.engines.node, running: process.versions.node });
    expect(info.build).toEqual({ layout: 'npm' });
  });

  it('lists the release files of an offline bundle, the same names and checksum files `bundle check` expects', async () => {
    const info = JSON.parse((await runCliCaptured(['version', '--json'])).out) as Info;
    expect(info.bundle.files.map((f) => f.component)).toEqual(['kubernetes', 'etcd', 'containerd', 'runc', 'cni-plugins']);
    const inv = validateInventory(example, 'inventory.yaml', EXAMPLE).inventory;
    if (!inv) throw new Error('the example inventory does not validate');
    const listed = new Map(info.bundle.files.map((f) => [f.file.replace('<etcdVersion>', inv.cluster.etcdVersion), f]));
    const expected = expectedBundleFiles(inv).filter((e) => e.component !== 'image');
    expect(expected.length).toBe(5);
    for (const e of expected) {
      const f = listed.get(e.pattern);
      expect(f, e.pattern).toBeDefined();
      expect(f?.checksumFiles.map((c) => c.replace(f.file, e.pattern))).toEqual(e.checksumFiles.map((c) => c.replace('<file>', e.pattern)));
    }
  });
});
