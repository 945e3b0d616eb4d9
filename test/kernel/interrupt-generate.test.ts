/**
 * The real tslab kernel: interrupting a cell that generates for hours ends it within seconds, the
 * generation loop stops with it, and the next cell uses the model (see interrupt_generate.py for the
 * protocol side).
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '../..');
const jupyterPath = process.env.JUPYTER_PATH ?? path.join(root, '.local/jupyter/share/jupyter');

describe('kernel interrupt during generation', () => {
  it('ends the cell within 3 s, stops the loop, and the next cell generates with the model', () => {
    expect(fs.existsSync(path.join(jupyterPath, 'kernels/tslab/kernel.json')), `no tslab kernel in ${jupyterPath}: run npm test (it runs scripts/setup.sh)`).toBe(true);
    const out = execFileSync('/usr/bin/python3', [path.join(__dirname, 'interrupt_generate.py'), path.join(root, 'notebooks')], {
      env: { ...process.env, JUPYTER_PATH: jupyterPath },
      encoding: 'utf8',
      timeout: 120_000
    });
    const r = JSON.parse(out.trim().split('\n').at(-1)!);
    expect(r.setup).toBe('ok');
    expect(r.generate).toBe('error'); // the cell ends as interrupted
    expect(r.printed).toMatch(/interrupted/i);
    expect(r.stoppedSec).toBeLessThan(3);
    expect(r.after, r.afterError).toBe('ok');
    const after = JSON.parse(r.afterOutput);
    expect(after.chosenAtInterrupt).toBeGreaterThan(0); // it was generating when the interrupt came
    expect(after.chosenLater).toBe(after.chosenAtInterrupt); // and chose no token after it
    expect(after.sampleLength).toBe(24);
  });
});
