#!/usr/bin/env node
/**
 * Build the PREBUILT (federated) JupyterLab extension: extension/labext/@llm-lab/jupyterlab,
 * the folder users install next to their own JupyterLab (pip, or copied into
 * $(jupyter --data-dir)/labextensions). Run after `tsc` (npm run build -w extension does both).
 *
 * Two things the builder needs that the repository layout does not give it directly:
 * - The CSS lives in the top-level style/ folder (DESIGN.md), but package.json's `style` field
 *   points inside the package: style/ is copied to extension/style/ (gitignored) first.
 *   Edit style/, never extension/style/.
 * - `--core-path`: a folder whose package.json describes the JupyterLab core the extension shares
 *   packages with. Without Python JupyterLab we take it from the npm package
 *   @jupyterlab/core-meta (its core.package.json is JupyterLab's staging/package.json).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const extension = join(root, 'extension');
const modules = join(root, 'node_modules');

rmSync(join(extension, 'style'), { recursive: true, force: true });
cpSync(join(root, 'style'), join(extension, 'style'), { recursive: true });

const corePath = mkdtempSync(join(tmpdir(), 'llm-lab-core-'));
try {
  copyFileSync(join(modules, '@jupyterlab/core-meta/core.package.json'), join(corePath, 'package.json'));
  const args = [join(modules, '@jupyterlab/builder/lib/build-labextension.js'), '--core-path', corePath];
  if (process.argv.includes('--development')) args.push('--development');
  const result = spawnSync(process.execPath, [...args, extension], { stdio: 'inherit', cwd: extension });
  if (result.status !== 0) {
    console.error(`build-labextension: @jupyterlab/builder failed (exit ${result.status ?? result.signal})`);
    process.exit(1);
  }
} finally {
  rmSync(corePath, { recursive: true, force: true });
}
console.log('build-labextension: extension/labext/@llm-lab/jupyterlab is ready');
