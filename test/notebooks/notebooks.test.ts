/**
 * Every course notebook, executed headless by the real tslab kernel in the smoke profile:
 * no error, no stderr, and the views it promises (metadata.llm_lab.expect) are in its outputs.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';

const repo = path.resolve(__dirname, '../..');
const notebooks = fs.readdirSync(path.join(repo, 'notebooks')).filter(f => f.endsWith('.ipynb')).sort();

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
    it(`${name} runs without errors and shows its views`, () => {
      // Run a copy inside the repo: tslab resolves @llm-lab/kernel from the notebook's folder.
      const dir = path.join(repo, '.local/runs', `nb-${Date.now()}`);
      fs.mkdirSync(dir, { recursive: true });
      const input = path.join(dir, name);
      const output = path.join(dir, `executed-${name}`);
      fs.copyFileSync(path.join(repo, 'notebooks', name), input);
      const run = spawnSync('/usr/bin/python3', [path.join(repo, 'scripts/run_notebook.py'), input, '--out', output], {
        env: { ...process.env, LLM_LAB_PROFILE: 'smoke' },
        encoding: 'utf8',
        timeout: 900_000
      });
      expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
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
