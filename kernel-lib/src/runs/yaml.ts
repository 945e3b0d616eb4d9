/**
 * The meta.yaml files of an MLflow file store: one flat mapping per file, keys sorted, values
 * that are strings, integers, null or an empty list (what PyYAML's safe_dump writes for
 * MLflow's experiment and run records). Strings are written double-quoted with every character
 * outside printable ASCII escaped, so that any run name reads back as written, in PyYAML too.
 * The reader takes what MLflow writes as well: plain, 'single-' and "double-quoted" scalars,
 * folded over several lines.
 */

export type MetaValue = string | number | null | [];
export type Meta = Record<string, MetaValue>;

function quoted(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += '\\' + ch;
    else if (c >= 0x20 && c < 0x7f) out += ch;
    else if (c <= 0xffff) out += '\\u' + c.toString(16).padStart(4, '0');
    else out += '\\U' + c.toString(16).padStart(8, '0');
  }
  return out + '"';
}

/** `meta` as YAML, keys sorted as MLflow writes them. */
export function writeMeta(meta: Meta): string {
  const lines = Object.keys(meta)
    .sort()
    .map(key => {
      const v = meta[key];
      if (!/^[a-z_]+$/.test(key)) throw new Error(`meta.yaml: unexpected key ${JSON.stringify(key)}`);
      if (v === null) return `${key}: null`;
      if (Array.isArray(v)) return `${key}: []`;
      if (typeof v === 'number') {
        if (!Number.isSafeInteger(v)) throw new Error(`meta.yaml: ${key} must be an integer, got ${v}`);
        return `${key}: ${v}`;
      }
      return `${key}: ${quoted(v)}`;
    });
  return lines.join('\n') + '\n';
}

function unquoteDouble(body: string): string {
  return body.replace(/\\(U[0-9a-fA-F]{8}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|.)/g, (_, e: string) => {
    if (e.length > 1) return String.fromCodePoint(parseInt(e.slice(1), 16));
    const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '0': '\0', '"': '"', '\\': '\\', '/': '/', ' ': ' ', b: '\b', f: '\f', e: '\x1b', a: '\x07', v: '\v', N: '\x85', _: '\xa0', L: '\u2028', P: '\u2029' };
    return simple[e] ?? e;
  });
}

function scalar(raw: string, file: string, key: string): MetaValue {
  const v = raw.trim();
  if (v.startsWith('"')) {
    if (!v.endsWith('"') || v.length < 2) throw new Error(`${file}: the value of ${key} is an unterminated string: ${v.slice(0, 60)}`);
    return unquoteDouble(v.slice(1, -1));
  }
  if (v.startsWith("'")) {
    if (!v.endsWith("'") || v.length < 2) throw new Error(`${file}: the value of ${key} is an unterminated string: ${v.slice(0, 60)}`);
    return v.slice(1, -1).replace(/''/g, "'");
  }
  if (v === '' || v === 'null' || v === '~') return null;
  if (v === '[]') return [];
  if (/^[-+]?[0-9]+$/.test(v)) return Number(v);
  return v;
}

/** The mapping of a meta.yaml; `file` names it in errors. */
export function readMeta(text: string, file: string): Meta {
  const meta: Meta = {};
  let key: string | null = null;
  let raw = '';
  const finish = () => {
    if (key !== null) meta[key] = scalar(raw, file, key);
  };
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    if (/^\s/.test(line)) {
      // a folded continuation of the value above: a line break reads as a space (or nothing after a \ in "...")
      if (key === null) throw new Error(`${file}: an indented line before any key: ${line.slice(0, 60)}`);
      raw = raw.endsWith('\\') ? raw.slice(0, -1) + line.trim() : `${raw} ${line.trim()}`;
      continue;
    }
    const m = /^([A-Za-z_][\w]*):(?:\s(.*))?$/.exec(line);
    if (!m) throw new Error(`${file}: not a "key: value" line: ${line.slice(0, 60)}`);
    finish();
    key = m[1];
    raw = m[2] ?? '';
  }
  finish();
  return meta;
}
