/**
 * The template engine: the only module that imports handlebars. Templates run in strict mode (a
 * missing field is an error, never an empty string) and without HTML escaping (we render units,
 * YAML and TOML, not HTML). Handlebars' strict mode does not cover block parameters
 * (`{{#each args}}` over a missing `args` silently renders nothing), so the built-in block helpers
 * are wrapped to fail the same way. The only other helpers are the per-format escapers of
 * escape.ts ({{yaml x}}, {{toml x}}, {{unitArg x}}, ...): every interpolation goes through one
 * (test/render/injection.test.ts scans the templates), so no value can break out of its token.
 * Logic lives in the view builders.
 */
import Handlebars from 'handlebars';
import { TemplateError } from '../shared/errors.js';
import { ESCAPERS, UnsafeValue } from './escape.js';

/** Template sources by name, e.g. "units/etcd.service.hbs" -> text. Loaded by src/state/load-templates.ts. */
export type TemplateSources = ReadonlyMap<string, string>;

/**
 * Renders named templates against view models; compiled templates are cached per engine, and so
 * are results: views are plain data, so equal views render equal text (most worker files are
 * identical across a large cluster; rendering them once keeps 500 hosts fast).
 */
export interface TemplateEngine {
  render(name: string, view: object): string;
}

interface Loc {
  readonly start: { readonly line: number; readonly column: number };
}

/** Thrown by a wrapped block helper; carries the block's position to find its parameter's name. */
class MissingBlockParam extends Error {
  constructor(
    readonly loc: Loc | undefined,
    readonly index = 0,
  ) {
    super('missing block parameter');
  }
}

/** Thrown by an escaper helper: the value cannot be written safely in the template's format. */
class UnsafeAt extends Error {
  constructor(readonly loc: Loc | undefined, cause: UnsafeValue) {
    super(cause.message, { cause });
  }
}

const BLOCK_HELPERS = ['each', 'if', 'unless', 'with'] as const;

/** Registers the escapers; several arguments are joined first ({{json cniBin "/flannel"}}). */
function registerEscapers(hb: typeof Handlebars): void {
  for (const [name, escape] of Object.entries(ESCAPERS)) {
    hb.registerHelper(name, (...args: unknown[]) => {
      const options = args[args.length - 1] as { loc?: Loc };
      const params = args.slice(0, -1);
      if (params.length === 0 || params.includes(undefined)) throw new MissingBlockParam(options.loc, Math.max(0, params.indexOf(undefined)));
      if (params.length > 1 && params.some((p) => typeof p !== 'string')) {
        throw new UnsafeAt(options.loc, new UnsafeValue(`${name}: only strings can be joined`));
      }
      try {
        return escape(params.length === 1 ? params[0] : params.join(''));
      } catch (err) {
        throw err instanceof UnsafeValue ? new UnsafeAt(options.loc, err) : err;
      }
    });
  }
}

/** Builds an engine over the given sources. Pure: no file access, no globals shared across engines. */
export function createEngine(sources: TemplateSources): TemplateEngine {
  const hb = Handlebars.create();
  for (const name of BLOCK_HELPERS) {
    const builtin = hb.helpers[name] as (this: unknown, ...args: unknown[]) => unknown;
    hb.registerHelper(name, function (this: unknown, ...args: unknown[]) {
      const options = args[args.length - 1] as { loc?: Loc };
      if (args.length < 2 || args[0] === undefined) throw new MissingBlockParam(options.loc);
      return builtin.apply(this, args);
    });
  }
  registerEscapers(hb);
  const compiled = new Map<string, { tpl: Handlebars.TemplateDelegate; text: string }>();
  const rendered = new Map<string, string>();
  return {
    render(name, view) {
      const key = `${name}\u0000${JSON.stringify(view)}`;
      const hit = rendered.get(key);
      if (hit !== undefined) return hit;
      let entry = compiled.get(name);
      if (!entry) {
        const text = sources.get(name);
        if (text === undefined) {
          throw new TemplateError(`${name}: template not found`, {
            hint: 'reinstall kubesmith; the units/ and manifests/ directories ship with it',
          });
        }
        entry = { tpl: hb.compile(text, { strict: true, noEscape: true }), text };
        compiled.set(name, entry);
      }
      try {
        const text = entry.tpl(view);
        rendered.set(key, text);
        return text;
      } catch (err) {
        throw templateError(name, err, () => blockParams(hb, entry.text));
      }
    },
  };
}

/** Handlebars strict mode throws `"field" not defined in [object Object] - 3:7`; name template and field. */
function templateError(name: string, err: unknown, params: () => ReadonlyMap<string, readonly string[]>): TemplateError {
  const hint = 'this is a bug in kubesmith: the view builder and the template disagree';
  if (err instanceof UnsafeAt) {
    const at = err.loc ? `:${err.loc.start.line}:${err.loc.start.column}` : '';
    return new TemplateError(`${name}${at}: refusing to render a value that could change the file's meaning: ${err.message}`, {
      hint: 'run `kubesmith validate` on the inventory: the field that feeds this value must be corrected (and validate should have named it; please report this)',
      cause: err,
    });
  }
  if (err instanceof MissingBlockParam && err.loc) {
    const { line, column } = err.loc.start;
    const field = params().get(`${line}:${column}`)?.[err.index] ?? '?';
    return new TemplateError(`${name}:${line}:${column}: missing field "${field}" in the view model`, { hint, cause: err });
  }
  const text = err instanceof Error ? err.message : String(err);
  const m = /^"([^"]+)" not defined in .* - (\d+):(\d+)/.exec(text);
  if (m) return new TemplateError(`${name}:${m[2]}:${m[3]}: missing field "${m[1]}" in the view model`, { hint, cause: err });
  return new TemplateError(`${name}: ${text.split('\n')[0] ?? text}`, { cause: err });
}

interface AstNode {
  readonly type?: string;
  readonly loc?: Loc;
  readonly params?: readonly { readonly original?: unknown }[];
  readonly program?: { readonly body: readonly AstNode[] };
  readonly inverse?: { readonly body: readonly AstNode[] };
  readonly body?: readonly AstNode[];
}

/** "line:column" of every block statement or helper call -> its parameters' names (only computed on error). */
function blockParams(hb: typeof Handlebars, text: string): ReadonlyMap<string, readonly string[]> {
  const out = new Map<string, string[]>();
  const walk = (nodes: readonly AstNode[] | undefined): void => {
    for (const n of nodes ?? []) {
      if ((n.type === 'BlockStatement' || n.type === 'MustacheStatement') && n.loc) out.set(`${n.loc.start.line}:${n.loc.start.column}`, (n.params ?? []).map((p) => String(p.original ?? '?')));
      walk(n.program?.body);
      walk(n.inverse?.body);
    }
  };
  walk((hb.parse(text) as unknown as AstNode).body);
  return out;
}
