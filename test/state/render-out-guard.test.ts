/** state/render-guard: where --out may never point, compared after resolving symbolic links. */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { assertRenderOutAllowed, type RenderGuard } from '../../src/state/render-guard.js';
import { UsageError } from '../../src/shared/errors.js';

let base = '';
beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'kubesmith-guard-'));
  mkdirSync(join(base, 'home', 'op', 'cluster', '.kubesmith', 'demo'), { recursive: true });
  writeFileSync(join(base, 'home', 'op', 'cluster', 'inventory.yaml'), 'x');
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

function guard(cwd = join(base, 'work')): RenderGuard {
  const c = join(base, 'home', 'op', 'cluster');
  return {
    protect: [
      { path: join(c, 'inventory.yaml'), what: 'the inventory' },
      { path: join(c, '.kubesmith'), what: 'the state directory', noInside: true },
      { path: join(c, 'bundle'), what: 'the offline bundle' },
    ],
    cwd,
    home: join(base, 'home', 'op'),
  };
}

const why = (out: string, g = guard()): string => {
  try {
    assertRenderOutAllowed(out, g);
    return 'allowed';
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
};

describe('assertRenderOutAllowed', () => {
  it('allows a new directory beside the inventory, and one inside the bundle', () => {
    expect(why(join(base, 'home', 'op', 'cluster', 'rendered'))).toBe('allowed');
    expect(why(join(base, 'home', 'op', 'cluster', 'bundle', 'r'))).toBe('allowed');
  });

  it('refuses /, the home directory and its ancestors', () => {
    expect(why('/')).toMatch(/is the root directory/);
    expect(why(join(base, 'home', 'op'))).toMatch(/holds the inventory|is the home directory/);
    expect(why(join(base, 'home'), { ...guard(), protect: [] })).toMatch(/holds the home directory/);
    expect(why(join(base, 'home', 'op'), { ...guard(), protect: [] })).toMatch(/is the home directory/);
  });

  it('refuses the inventory, the state directory (and inside it), the bundle, through symbolic links too', () => {
    const c = join(base, 'home', 'op', 'cluster');
    expect(why(join(c, 'inventory.yaml'))).toMatch(/exists and is not a directory/);
    expect(why(join(c, '.kubesmith'))).toMatch(/is the state directory/);
    expect(why(join(c, '.kubesmith', 'demo', 'x'))).toMatch(/is inside the state directory/);
    expect(why(join(c, 'bundle'))).toMatch(/is the offline bundle/);
    // A link to the cluster dir's parent: textually elsewhere, really the home directory.
    symlinkSync(join(base, 'home'), join(base, 'h'));
    expect(why(join(base, 'h', 'op', 'cluster'))).toMatch(/holds the inventory/);
    expect(why(join(base, 'h', 'op', 'cluster', '.kubesmith', 'demo', 'new'))).toMatch(/is inside the state directory/);
    expect(why(join(base, 'h', 'op', 'cluster', 'rendered'))).toBe('allowed');
  });

  it('refuses the current directory and its ancestors, relative --out resolved against cwd', () => {
    const cwd = join(base, 'work', 'a');
    mkdirSync(cwd, { recursive: true });
    expect(why('.', guard(cwd))).toMatch(/^--out \. \(.*\/work\/a\): is the current directory/);
    expect(why('..', guard(cwd))).toMatch(/holds the current directory/);
    expect(why('out', guard(cwd))).toBe('allowed');
  });

  it('refuses a symbolic link as --out, and a directory inside an earlier render', () => {
    mkdirSync(join(base, 'target'));
    symlinkSync(join(base, 'target'), join(base, 'link'));
    expect(why(join(base, 'link'))).toMatch(/is a symbolic link \(to .*target\)/);
    mkdirSync(join(base, 'r', 'h'), { recursive: true });
    writeFileSync(join(base, 'r', '.kubesmith-render.json'), '{}');
    expect(why(join(base, 'r', 'h', 'sub'))).toMatch(/is inside the render directory .*\/r$|is inside the render directory .*\/r;/);
  });
});
