/**
 * @llm-lab/kernel/contract (kernel-lib/src/contract, built to kernel-lib/dist/contract) is what
 * the extension bundles and what a notebook can import before a backend is chosen: loading it
 * must not load tfjs, Dawn (the `webgpu` package) or d3. Checked on the built files, in a fresh
 * Node process, by recording every module request and reading the module cache.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const repo = path.join(__dirname, '..', '..');
const dist = path.join(repo, 'kernel-lib', 'dist');
const heavy = /@tensorflow\/|(^|[\\/])webgpu([\\/]|$)|d3-/;

/** Every module request made and every module cached while `code` runs in a fresh Node process. */
function loadedBy(code: string): { requests: string[]; cached: string[]; result: unknown } {
  const script = `
    const Module = require('module');
    const requests = [];
    const load = Module._load;
    Module._load = function (request, ...rest) { requests.push(request); return load.call(this, request, ...rest); };
    const result = (() => { ${code} })();
    process.stdout.write(JSON.stringify({ requests, cached: Object.keys(Module._cache), result }));`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: repo, encoding: 'utf8' }));
}

describe('the contract entry point', () => {
  it('is built (run `npx tsc -p kernel-lib/tsconfig.json` first)', () => {
    expect(fs.existsSync(path.join(dist, 'contract', 'index.js'))).toBe(true);
  });

  it('loads no module of tfjs, Dawn (webgpu) or d3', () => {
    const { requests, cached, result } = loadedBy(`return Object.keys(require(${JSON.stringify(path.join(dist, 'contract', 'index.js'))}))`);
    expect(result).toEqual(expect.arrayContaining(['validateTrainingSpec', 'trainingStatusFacts', 'mimeTypeFor', 'headColor', 'neuronRows', 'formatDuration']));
    expect(cached).toContain(path.join(dist, 'contract', 'training.js'));
    expect(requests.filter(r => heavy.test(r))).toEqual([]);
    expect(cached.filter(f => heavy.test(f))).toEqual([]);
  });

  it('the same check sees d3 when a kernel view module is loaded (it can fail)', () => {
    const { requests, cached } = loadedBy(`require(${JSON.stringify(path.join(dist, 'viz', 'training.js'))})`);
    expect(requests).toContain('d3-shape');
    expect(cached.some(f => f.includes(`${path.sep}d3-shape${path.sep}`))).toBe(true);
  });

  it('resolves as @llm-lab/kernel/contract, with its types, under Node (and TypeScript\'s node10) resolution', () => {
    const { result } = loadedBy(`return require.resolve('@llm-lab/kernel/contract')`);
    expect(result).toBe(path.join(dist, 'contract', 'index.js'));
    const manifest = JSON.parse(fs.readFileSync(path.join(repo, 'kernel-lib', 'contract', 'package.json'), 'utf8'));
    expect(path.join(repo, 'kernel-lib', 'contract', manifest.types)).toBe(path.join(dist, 'contract', 'index.d.ts'));
    expect(fs.existsSync(path.join(dist, 'contract', 'index.d.ts'))).toBe(true);
  });
});
