// What the benchmark's reports share: the systems' names, and numbers and tables as markdown text.

export const SYSTEMS = {
  ours: 'ours (@llm-lab/kernel)',
  nanogpt: '@genai-fi/nanogpt',
  'torch-openblas': 'PyTorch + OpenBLAS',
  'torch-openblas-threads': 'PyTorch + OpenBLAS, as many threads as ours',
  'torch-reference': 'PyTorch + reference BLAS'
};

export const int = x => (x == null ? '–' : Math.round(x).toLocaleString('en-US'));
export const ratio = x => (x == null || !Number.isFinite(x) ? '–' : `${x.toFixed(2)}x`);
export const mb = bytes => (bytes == null ? '–' : `${(bytes / 2 ** 20).toFixed(1)} MB`);
export const div = (a, b) => (a == null || b == null ? null : a / b);

export function table(header, rows) {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map(r => `| ${r.join(' | ')} |`)].join('\n');
}
