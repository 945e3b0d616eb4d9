// Give the saved views of notebooks the <img> form of their picture (text/html), as the kernel
// sends it, without running them: the form is made from each output's saved SVG alone.
// Usage: node scripts/static-html.mjs notebooks/*.ipynb   (needs kernel-lib built; idempotent)
// Notebooks are written as they were (indent 1, keys sorted, non-ASCII raw or escaped, final newline
// or none), so only the added lines differ.
import * as fs from 'fs';
import display from '../kernel-lib/dist/viz/display.js';

const { withStaticHtml } = display;
const joined = v => (Array.isArray(v) ? v.join('') : v);
const sortedKeys = o => Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: node scripts/static-html.mjs NOTEBOOK.ipynb...');
  process.exit(2);
}
for (const file of files) {
  const before = fs.readFileSync(file, 'utf8');
  const nb = JSON.parse(before);
  let added = 0;
  for (const cell of nb.cells) {
    for (const output of cell.outputs ?? []) {
      const data = output.data;
      if (!data?.['image/svg+xml'] || data['text/html'] !== undefined) continue;
      const bundle = withStaticHtml({ 'image/svg+xml': joined(data['image/svg+xml']), 'text/plain': joined(data['text/plain'] ?? '') });
      output.data = sortedKeys({ ...data, 'text/html': bundle['text/html'] });
      added++;
    }
  }
  if (added > 0) {
    let after = JSON.stringify(nb, null, 1) + (before.endsWith('\n') ? '\n' : '');
    if (!/[^\x00-\x7f]/.test(before)) after = after.replace(/[^\x00-\x7f]/g, c => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
    fs.writeFileSync(file, after);
    console.log(`${file}: ${added} pictures given an <img> form, ${before.length} -> ${after.length} characters`);
  } else {
    console.log(`${file}: nothing to add`);
  }
}
