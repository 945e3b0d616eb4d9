/**
 * Every course notebook, executed headless by the real tslab kernel in the smoke profile:
 * no error, no stderr, and the views it promises (metadata.llm_lab.expect) are in its outputs.
 * Two notebooks run at a time (the project's maxConcurrency): each kernel spends most of a smoke
 * run compiling cells on one core.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';

const repo = path.resolve(__dirname, '../..');
const notebooks = fs.readdirSync(path.join(repo, 'notebooks')).filter(f => f.endsWith('.ipynb')).sort();

/** Run `python3 args...` to its end; its exit status and what it printed. */
function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/python3', args, { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', d => (stdout += d));
    child.stderr.on('data', d => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 900_000);
    child.on('error', reject);
    child.on('close', status => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

interface Output {
  output_type: string;
  name?: string;
  text?: string | string[];
  data?: Record<string, unknown>;
}

describe('course notebooks (smoke profile)', () => {
  it('exist', () => {
    expect(notebooks.length).toBeGreaterThan(0);
    expect(fs.existsSync(path.join(repo, '.local/jupyter/share/jupyter/kernels/tslab/kernel.json')), 'tslab kernelspec missing: run scripts/setup.sh').toBe(true);
  });

  for (const name of notebooks) {
    it.concurrent(`${name} runs without errors and shows its views`, async ({ expect }) => {
      // Run a copy inside the repo: tslab resolves @llm-lab/kernel from the notebook's folder.
      const dir = path.join(repo, '.local/runs', `nb-${Date.now()}-${name.replace(/\.ipynb$/, '')}`);
      fs.mkdirSync(dir, { recursive: true });
      const input = path.join(dir, name);
      const output = path.join(dir, `executed-${name}`);
      fs.copyFileSync(path.join(repo, 'notebooks', name), input);
      const result = await run([path.join(repo, 'scripts/run_notebook.py'), input, '--out', output], { ...process.env, LLM_LAB_PROFILE: 'smoke' });
      expect(result.status, `${result.stdout}\n${result.stderr}`).toBe(0);
      const nb = JSON.parse(fs.readFileSync(output, 'utf8'));
      const outputs: Output[] = nb.cells.flatMap((c: { outputs?: Output[] }) => c.outputs ?? []);
      expect(outputs.filter(o => o.output_type === 'error')).toEqual([]);
      expect(outputs.filter(o => o.output_type === 'stream' && o.name === 'stderr')).toEqual([]);
      const mimes = new Set(outputs.flatMap(o => Object.keys(o.data ?? {})));
      const expected: string[] = nb.metadata.llm_lab?.expect ?? [];
      expect(expected.length).toBeGreaterThan(0);
      for (const m of expected) expect([...mimes], `missing ${m}`).toContain(m);
      fs.rmSync(dir, { recursive: true, force: true });
    });
  }
});
