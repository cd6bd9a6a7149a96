/**
 * The template engine: the only module that imports handlebars. Templates run in strict mode (a
 * missing field is an error, never an empty string) and without HTML escaping (we render units,
 * YAML and TOML, not HTML). No helpers are registered: all logic lives in the view builders.
 */
import Handlebars from 'handlebars';
import { TemplateError } from '../shared/errors.js';

/** Template sources by name, e.g. "units/etcd.service.hbs" -> text. Loaded by src/state/load-templates.ts. */
export type TemplateSources = ReadonlyMap<string, string>;

/** Renders named templates against view models; compiled templates are cached per engine. */
export interface TemplateEngine {
  render(name: string, view: object): string;
}

/** Builds an engine over the given sources. Pure: no file access, no globals shared across engines. */
export function createEngine(sources: TemplateSources): TemplateEngine {
  const hb = Handlebars.create();
  const compiled = new Map<string, Handlebars.TemplateDelegate>();
  return {
    render(name, view) {
      let tpl = compiled.get(name);
      if (!tpl) {
        const text = sources.get(name);
        if (text === undefined) {
          throw new TemplateError(`${name}: template not found`, {
            hint: 'reinstall kubesmith; the units/ and manifests/ directories ship with it',
          });
        }
        tpl = hb.compile(text, { strict: true, noEscape: true });
        compiled.set(name, tpl);
      }
      try {
        return tpl(view);
      } catch (err) {
        throw templateError(name, err);
      }
    },
  };
}

/** Handlebars strict mode throws `"field" not defined in [object Object] - 3:7`; name template and field. */
function templateError(name: string, err: unknown): TemplateError {
  const text = err instanceof Error ? err.message : String(err);
  const m = /^"([^"]+)" not defined in .* - (\d+):(\d+)/.exec(text);
  if (m) {
    return new TemplateError(`${name}:${m[2]}:${m[3]}: missing field "${m[1]}" in the view model`, {
      hint: 'this is a bug in kubesmith: the view builder and the template disagree',
      cause: err,
    });
  }
  return new TemplateError(`${name}: ${text.split('\n')[0] ?? text}`, { cause: err });
}
