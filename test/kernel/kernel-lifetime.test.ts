/**
 * A tslab kernel ends with its Jupyter server, however the server stops: Ctrl-C twice (jupyter_server
 * 1.23 then exits without shutting its kernels down), SIGTERM, or SIGKILL. And on a shared server an
 * idle kernel that the server culls really ends (its process is gone, not just forgotten).
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { afterAll, describe, expect, it } from 'vitest';
import { copyNotebooks, Lab, repo, startLab } from '../browser/lab';

// the zeromq that tslab itself uses
const zmq = require(require.resolve('zeromq', { paths: [path.dirname(require.resolve('tslab/package.json'))] })) as typeof import('zeromq');

/** The pids whose command line contains `text`. */
function pidsWith(text: string): number[] {
  return fs.readdirSync('/proc').flatMap(p => {
    if (!/^\d+$/.test(p)) return [];
    try {
      return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(text) ? [Number(p)] : [];
    } catch {
      return []; // ended meanwhile
    }
  });
}

const alive = (pid: number): boolean => {
  try {
    // a zombie (exited, not yet reaped) has ended too
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

/** Wait until `ok()` or `seconds` pass; the seconds it took (Infinity when it never happened). */
async function within(seconds: number, ok: () => boolean | Promise<boolean>): Promise<number> {
  const t0 = Date.now();
  while (Date.now() - t0 < seconds * 1000) {
    if (await ok()) return (Date.now() - t0) / 1000;
    await new Promise(r => setTimeout(r, 100));
  }
  return Infinity;
}

/**
 * Whether the kernel `pid` answers a ping on its heartbeat socket: then tslab has started (its
 * TypeScript compiler is loaded) and the kernel serves requests. The connection file is in its argv.
 */
async function heartbeat(pid: number): Promise<boolean> {
  const socket = new zmq.Request({ receiveTimeout: 1000, sendTimeout: 1000, linger: 0 });
  try {
    const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    const connection = JSON.parse(fs.readFileSync(argv[argv.indexOf('--config-path') + 1], 'utf8'));
    socket.connect(`${connection.transport}://${connection.ip}:${connection.hb_port}`);
    await socket.send('ping');
    return String(await socket.receive()) === 'ping';
  } catch {
    return false; // not answering yet (or gone)
  } finally {
    socket.close();
  }
}

/** Start a tslab kernel through the REST API (as opening a notebook does); its id and pid. */
async function startKernel(url: (p: string) => string): Promise<{ id: string; pid: number }> {
  const r = await fetch(url('/api/kernels'), { method: 'POST', body: JSON.stringify({ name: 'tslab' }) });
  expect(r.status).toBe(201);
  const { id } = (await r.json()) as { id: string };
  let pids: number[] = [];
  await within(30, () => (pids = pidsWith(`kernel-${id}.json`)).length > 0);
  expect(pids, `no process for kernel ${id}`).toHaveLength(1);
  expect(await within(120, () => heartbeat(pids[0])), `kernel ${id} never answered its heartbeat`).toBeLessThan(120);
  return { id, pid: pids[0] };
}

const labs: Lab[] = [];
afterAll(async () => {
  for (const lab of labs) {
    await lab.stop();
    fs.rmSync(lab.root, { recursive: true, force: true });
    fs.rmSync(`${lab.root}-lab`, { recursive: true, force: true });
  }
});

describe('a tslab kernel ends with the server that started it', () => {
  it.each([
    ['Ctrl-C twice (SIGINT to the process group, as a terminal sends it)', ['SIGINT', 'SIGINT']],
    ['SIGTERM', ['SIGTERM']],
    ['SIGKILL', ['SIGKILL']]
  ] as [string, NodeJS.Signals[]][])('stopped with %s: the kernel process is gone within 5 s', async (_, signals) => {
    const lab = await startLab(copyNotebooks('kernel-lifetime'));
    labs.push(lab);
    // lab-server.sh execs the server, so its pid is the process group that startLab made
    const [server] = pidsWith(`--ServerApp.root_dir=${lab.root}`);
    expect(server, lab.log()).toBeDefined();
    const kernel = await startKernel(lab.url);
    expect(alive(kernel.pid)).toBe(true);

    for (const signal of signals) {
      try {
        process.kill(-server, signal);
      } catch (e) {
        // the server's group may be gone already (after the first Ctrl-C): that is a stop too
        if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
      }
      await new Promise(r => setTimeout(r, 300));
    }
    expect(await within(15, () => !alive(server)), `server still running:\n${lab.log()}`).toBeLessThan(15);
    const seconds = await within(5, () => !alive(kernel.pid));
    expect(seconds, `kernel ${kernel.pid} still running 5 s after the server (${server}) stopped:\n${lab.log()}`).toBeLessThan(5);
  });
});

describe('idle kernels on a shared server', () => {
  let server: ChildProcess | undefined;
  afterAll(() => {
    if (server?.pid) {
      try {
        process.kill(-server.pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
  });

  it("are culled with the hub's server settings, and their process ends", async () => {
    // The learners' server config (scripts/hub/jupyter_server_config.py) with a 20 s idle time (tslab takes
    // a few seconds to start), checked every 2 s.
    const root = copyNotebooks('kernel-cull');
    const state = `${root}-lab`;
    fs.mkdirSync(path.join(state, 'runtime'), { recursive: true });
    const port = 20000 + Math.floor(Math.random() * 20000);
    const token = Math.random().toString(36).slice(2);
    const share = path.join(repo, '.local/jupyter/share/jupyter');
    let output = '';
    server = spawn(
      '/usr/bin/python3',
      ['-m', 'jupyter_server', `--config=${path.join(repo, 'scripts/hub/jupyter_server_config.py')}`, '--no-browser', `--ServerApp.port=${port}`, '--ServerApp.port_retries=0', `--ServerApp.root_dir=${root}`, '--allow-root'],
      {
        cwd: path.join(repo, 'scripts/lab-host'),
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          ...process.env,
          JUPYTER_TOKEN: token,
          JUPYTER_PATH: share,
          JUPYTER_DATA_DIR: share,
          JUPYTER_RUNTIME_DIR: path.join(state, 'runtime'),
          JUPYTER_CONFIG_DIR: state,
          JUPYTER_NO_CONFIG: '1',
          PYTHONPATH: path.join(repo, 'scripts/lab-host'),
          LLM_LAB_SETTINGS_DIR: path.join(state, 'settings'),
          LLM_LAB_WORKSPACES_DIR: path.join(state, 'workspaces'),
          LLM_LAB_CULL_KERNEL_AFTER: '20',
          LLM_LAB_CULL_INTERVAL: '2'
        }
      }
    );
    server.stdout!.on('data', d => (output += d));
    server.stderr!.on('data', d => (output += d));
    const url = (p: string) => `http://127.0.0.1:${port}${p}?token=${token}`;
    const up = await within(60, async () => (await fetch(url('/api/status')).catch(() => undefined))?.ok === true);
    expect(up, output).toBeLessThan(60);
    expect(output).toContain('cull');

    const kernel = await startKernel(url);
    // culled after 20 s idle: gone from the server's list and from the machine
    const seconds = await within(40, async () => !alive(kernel.pid));
    expect(seconds, output).toBeLessThan(40);
    expect(output).toMatch(/Culling '\w+' kernel 'tslab' .* due to \d+ seconds of inactivity/);
    // the process ends before the server has removed the kernel from its list: wait for both
    const listed = async () => ((await (await fetch(url('/api/kernels'))).json()) as { id: string }[]).map(k => k.id);
    expect(await within(10, async () => !(await listed()).includes(kernel.id)), output).toBeLessThan(10);
    fs.rmSync(root, { recursive: true, force: true });
    fs.rmSync(state, { recursive: true, force: true });
  });
});
