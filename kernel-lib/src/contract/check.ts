/**
 * The checks every validator of the contract is made of. Each failure is a SpecError that names
 * the path of the offending field and its value: `step must be an integer >= 0, got -1`.
 */

/** A spec that does not match its type; the message names the offending path and value. */
export class SpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SpecError';
  }
}

/** A value as the error message shows it: JSON, cut at 60 characters. */
function shown(v: unknown): string {
  if (v === undefined) return 'undefined';
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 60 ? s.slice(0, 57) + '...' : s;
}

export function fail(path: string, expected: string, got: unknown): never {
  throw new SpecError(`${path} must be ${expected}, got ${shown(got)}`);
}

export function obj(v: unknown, path: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path, 'an object', v);
  return v as Record<string, unknown>;
}

export function num(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(path, 'a finite number', v);
  return v as number;
}

export function int(v: unknown, path: string, min = 0): number {
  const n = num(v, path);
  if (!Number.isInteger(n) || n < min) fail(path, `an integer >= ${min}`, v);
  return n;
}

export function str(v: unknown, path: string): string {
  if (typeof v !== 'string') fail(path, 'a string', v);
  return v as string;
}

export function nonEmptyStr(v: unknown, path: string): string {
  if (typeof v !== 'string' || v === '') fail(path, 'a non-empty string', v);
  return v as string;
}

export function arr(v: unknown, path: string, length?: number): unknown[] {
  if (!Array.isArray(v)) fail(path, 'an array', v);
  const a = v as unknown[];
  if (length !== undefined && a.length !== length) {
    throw new SpecError(`${path} must have length ${length}, got ${a.length}`);
  }
  return a;
}

/** Numbers in a series may be null (JSON has no NaN) where a value was not finite. */
export function numbers(v: unknown, path: string, length?: number): number[] {
  const a = arr(v, path, length);
  a.forEach((x, i) => {
    if (x !== null) num(x, `${path}[${i}]`);
  });
  return a as number[];
}

/** The fields every spec starts with: its kind, a version this build reads, a title. */
export function header(o: Record<string, unknown>, kind: string, versions: readonly number[]): void {
  if (o.kind !== kind) fail('kind', JSON.stringify(kind), o.kind);
  if (!versions.includes(o.version as number)) fail('version', versions.join(' or '), o.version);
  str(o.title, 'title');
}

export function bool(v: unknown, path: string): boolean {
  if (typeof v !== 'boolean') fail(path, 'a boolean', v);
  return v as boolean;
}

/** An array of strings (of `length`, when given). */
export function strings(v: unknown, path: string, length?: number): string[] {
  const a = arr(v, path, length);
  a.forEach((s, i) => str(s, `${path}[${i}]`));
  return a as string[];
}
