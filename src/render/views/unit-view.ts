import { InternalError } from '../../shared/errors.js';

/** The view shape shared by the unit templates: an executable and its already-formatted flags. */

/** What every units/*.service.hbs template receives. */
export interface UnitView {
  /** Absolute path of the executable; systemd-analyze verify checks it exists. */
  readonly exec: string;
  /** "--name=value" strings, one per ExecStart continuation line. */
  readonly args: readonly string[];
}

/** One "key: value" setting of a YAML view; the template escapes both (escape.ts `yaml`). */
export interface YamlSetting {
  readonly key: string;
  readonly value: string | boolean | number | readonly string[];
}

/** Formats "--name=value"; values never contain whitespace (paths, URLs, CIDRs, lists). */
export function flag(name: string, value: string | number | boolean): string {
  const text = String(value);
  if (/\s/.test(text) || text === '') {
    // systemd would split it into two words; every value we render is a single token.
    throw new InternalError(`--${name}: value ${JSON.stringify(text)} is empty or contains whitespace`);
  }
  return `--${name}=${text}`;
}
