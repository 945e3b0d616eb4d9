/**
 * What may name a param, a metric or a tag of a run: MLflow's rule, since each name becomes a
 * file path under the run's folder (params/<key>, metrics/<key>, tags/<key>). Letters, digits,
 * `_ - . /` and spaces, at most 250 characters, and a path that stays what it says: no `..`, no
 * leading `/`, no `a//b` or `a/./b` (it would name another file).
 */

export type KeyKind = 'param' | 'metric' | 'tag';

/** MLflow's longest key. */
export const MAX_KEY_LENGTH = 250;
/** MLflow's longest param value (tag values: 5,000). */
export const MAX_PARAM_VALUE_LENGTH = 6000;
export const MAX_TAG_VALUE_LENGTH = 5000;

const ALLOWED = /^[A-Za-z0-9_\-. /]*$/;

/** `name` unless it is not a valid key of `kind`: then an error that names it and says why. */
export function checkKey(kind: KeyKind, name: unknown): string {
  if (typeof name !== 'string' || name === '') throw new Error(`a ${kind} name must be a non-empty string, got ${JSON.stringify(name) ?? String(name)}`);
  if (name.length > MAX_KEY_LENGTH) throw new Error(`the ${kind} name ${JSON.stringify(name.slice(0, 40) + '…')} has ${name.length} characters, more than ${MAX_KEY_LENGTH}`);
  if (!ALLOWED.test(name)) {
    throw new Error(`invalid ${kind} name ${JSON.stringify(name)}: names may only contain letters, digits, underscores (_), dashes (-), periods (.), spaces ( ) and slashes (/)`);
  }
  const parts = name.split('/');
  if (name.startsWith('/') || name.endsWith('/') || parts.some(p => p === '' || p === '.' || p === '..')) {
    throw new Error(`invalid ${kind} name ${JSON.stringify(name)}: it is a file path under the run's folder and must name exactly that file (no leading or trailing /, no empty, . or .. part)`);
  }
  return name;
}

/** A series name as a metric key: characters MLflow refuses become `_` ('KL(p||q)' -> 'KL_p__q_'). */
export function metricKeyOf(series: string): string {
  const key = series.replace(/[^A-Za-z0-9_\-. /]/g, '_').replace(/\/+/g, '/').replace(/^\/|\/$/g, '_');
  return checkKey('metric', key.split('/').map(p => (p === '.' || p === '..' ? p.replace(/\./g, '_') : p)).join('/') || '_');
}

/** Run and experiment ids are folder names: MLflow's run ids are 32 hex digits, experiment ids digits. */
export function checkId(what: 'run' | 'experiment', id: string): string {
  if (!/^[A-Za-z0-9][\w-]{0,63}$/.test(id)) throw new Error(`invalid ${what} id ${JSON.stringify(id)}: letters, digits, _ and - only, starting with a letter or digit`);
  return id;
}
