/**
 * The real tslab kernel: interrupting a training cell leaves the model usable and the live
 * plot showing the last step (see interrupt_training.py for the protocol side).
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '../..');
const jupyterPath = process.env.JUPYTER_PATH ?? path.join(root, '.local/jupyter/share/jupyter');

describe('kernel interrupt during training', () => {
  it('stops between steps, shows "interrupted" at the last step, and the next cell uses the model', () => {
    expect(fs.existsSync(path.join(jupyterPath, 'kernels/tslab/kernel.json')), `no tslab kernel in ${jupyterPath}: run npm test (it runs scripts/setup.sh)`).toBe(true);
    const out = execFileSync('/usr/bin/python3', [path.join(__dirname, 'interrupt_training.py'), path.join(root, 'notebooks')], {
      env: { ...process.env, JUPYTER_PATH: jupyterPath },
      encoding: 'utf8',
      timeout: 300_000
    });
    const r = JSON.parse(out.trim().split('\n').at(-1)!);
    expect(r.setup).toBe('ok');
    expect(r.train).toBe('error'); // the cell ends as interrupted
    expect(r.updates[0]).toMatchObject({ type: 'display_data', status: 'running' });
    expect(r.last.type).toBe('update_display_data');
    expect(r.last.status).toBe('interrupted');
    expect(r.last.step).toBeGreaterThanOrEqual(5);
    expect(r.after).toBe('ok');
    const after = JSON.parse(r.afterOutput);
    expect(after).toEqual({ step: r.last.step, status: 'interrupted', sampleLength: 24 });
  });
});
