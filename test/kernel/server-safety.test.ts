/**
 * The lab server on a shared machine: the token stays out of every process list, root and network
 * addresses are accepted only with a warning, and bad settings fail at once, naming the value.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyNotebooks, Lab, repo, startLab } from '../browser/lab';

const labServer = path.join(repo, 'scripts/lab-server.sh');
const { JUPYTER_TOKEN: _, ...envWithoutToken } = process.env;

interface Run {
  code: number | null;
  output: string;
  seconds: number;
}

/** Run a start script to its end (or until `until` shows in its output, then stop it); 15 s at most. */
function run(args: string[], env: Record<string, string>, until?: RegExp, command = 'bash'): Promise<Run> {
  const started = Date.now();
  const child = spawn(command, args, { env: { ...envWithoutToken, ...env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const stop = () => {
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      // already gone
    }
  };
  const timer = setTimeout(stop, 15_000);
  const onData = (d: Buffer) => {
    output += d;
    if (until?.test(output)) stop();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  return new Promise(resolve =>
    child.on('close', code => {
      clearTimeout(timer);
      resolve({ code, output, seconds: (Date.now() - started) / 1000 });
    })
  );
}

const commandLines = (): string[] =>
  fs.readdirSync('/proc').flatMap(pid => {
    if (!/^\d+$/.test(pid)) return [];
    try {
      return [fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ')];
    } catch {
      return []; // ended meanwhile
    }
  });

describe('a running lab server', () => {
  let lab: Lab;
  let token: string;
  beforeAll(async () => {
    lab = await startLab(copyNotebooks('server-safety'));
    token = new URL(lab.url('/')).searchParams.get('token')!;
  }, 120_000);
  afterAll(async () => lab?.stop());

  it('has its token in no process command line (/proc/*/cmdline), its own included', () => {
    const lines = commandLines();
    expect(lines.some(l => l.includes('lab-host/main.py') || l.includes(' main.py '))).toBe(true);
    expect(lines.filter(l => l.includes(token))).toEqual([]);
  });

  it('serves the URL it prints to a request with the token, and refuses requests without it or with a wrong one', async () => {
    const printed = lab.log().match(/LLM Lab is starting\. Open: {2}(http:\/\/127\.0\.0\.1:\d+\/lab\?token=\w+)\n/);
    expect(printed, lab.log()).not.toBeNull();
    expect(new URL(printed![1]).searchParams.get('token')).toBe(token);
    expect((await fetch(printed![1])).status).toBe(200);
    const status = new URL(lab.url('/api/status'));
    expect((await fetch(status)).status).toBe(200);
    status.searchParams.delete('token');
    expect((await fetch(status)).status).toBe(403);
    status.searchParams.set('token', 'wrong');
    expect((await fetch(status)).status).toBe(403);
  });

  it('starts kernels without JUPYTER_TOKEN in their environment', async () => {
    const r = await fetch(lab.url('/api/kernels'), { method: 'POST', body: JSON.stringify({ name: 'tslab' }) });
    expect(r.status).toBe(201);
    const { id } = (await r.json()) as { id: string };
    try {
      let pid: string | undefined;
      for (let i = 0; i < 100 && !pid; i++) {
        pid = fs.readdirSync('/proc').find(p => {
          try {
            return /^\d+$/.test(p) && fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(`kernel-${id}.json`);
          } catch {
            return false;
          }
        });
        if (!pid) await new Promise(res => setTimeout(res, 100));
      }
      expect(pid, `no process for kernel ${id}`).toBeDefined();
      const environ = fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
      expect(environ.filter(v => v.startsWith('JUPYTER_TOKEN='))).toEqual([]);
      expect(environ.some(v => v.includes(token))).toBe(false);
    } finally {
      await fetch(lab.url(`/api/kernels/${id}`), { method: 'DELETE' });
    }
  });

  it('as root, says so in one warning line that names the risk and the way out (a normal user, or JupyterHub)', () => {
    const warnings = lab.log().split('\n').filter(l => l.includes('warning: running as root'));
    if (process.getuid!() === 0) {
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/change anything on this machine.*normal user.*JupyterHub/);
    } else {
      expect(warnings).toEqual([]);
    }
  });
});

describe('lab-server.sh settings', () => {
  const root = path.join(repo, 'notebooks');
  const token = { JUPYTER_TOKEN: 'server-safety-test' };

  it.each([
    ['abc', "port 'abc' (LLM_LAB_PORT) must be an integer in 1..65535"],
    ['70000', "port '70000' (LLM_LAB_PORT) must be an integer in 1..65535"],
    ['0', "port '0' (LLM_LAB_PORT) must be an integer in 1..65535"],
    ['-1', "port '-1' (LLM_LAB_PORT) must be an integer in 1..65535"]
  ])('port %s fails at once (exit 2) with a message naming it', async (port, message) => {
    const r = await run([labServer, root, port], token);
    expect(r.output).toContain(message);
    expect(r.code).toBe(2);
    expect(r.seconds).toBeLessThan(10);
  });

  it.each([
    ['10.255.255.1', "address '10.255.255.1' (LLM_LAB_IP) cannot be bound on this machine"],
    ['no-such-host.invalid', "address 'no-such-host.invalid' (LLM_LAB_IP) is not an address of this machine"]
  ])('address %s fails at once (exit 2) with a message naming it', async (ip, message) => {
    const r = await run([labServer, root, '8888', ip], token);
    expect(r.output).toContain(message);
    expect(r.code).toBe(2);
    expect(r.seconds).toBeLessThan(10);
  });

  const freePort = async (): Promise<number> => {
    const s = net.createServer();
    await new Promise<void>(res => s.listen(0, res));
    const port = (s.address() as net.AddressInfo).port;
    await new Promise(res => s.close(res));
    return port;
  };

  it('a port in use fails at once (exit 2) saying so', async () => {
    const busy = net.createServer();
    await new Promise<void>(res => busy.listen(0, '127.0.0.1', res));
    const port = (busy.address() as net.AddressInfo).port;
    try {
      const r = await run([labServer, root, String(port)], token);
      expect(r.output).toContain(`port ${port} on 127.0.0.1 is already in use`);
      expect(r.code).toBe(2);
      expect(r.seconds).toBeLessThan(10);
    } finally {
      busy.close();
    }
  });

  it('without JUPYTER_TOKEN refuses to start, since a token on the command line would show in `ps`', async () => {
    const r = await run([labServer, root, '8888'], {});
    expect(r.output).toContain('reads the token from JUPYTER_TOKEN');
    expect(r.code).not.toBe(0);
  });

  it('a network address warns, before Jupyter starts, that the connection is plain HTTP and shared use goes through JupyterHub', async () => {
    const warning = /warning: LLM_LAB_IP=0\.0\.0\.0 serves the lab to the network over plain HTTP.*\n/;
    const r = await run([labServer, root, String(await freePort()), '0.0.0.0'], token, warning);
    expect(r.output).toMatch(warning);
    expect(r.output).toMatch(/token travels unencrypted and anyone who can reach this machine can try it.*JupyterHub/);
  });
});

describe('npm start (scripts/start.sh) settings', () => {
  const start = path.join(repo, 'scripts/start.sh');

  it.each([
    [{ LLM_LAB_PORT: 'abc' }, "port 'abc' (LLM_LAB_PORT) must be an integer in 1..65535"],
    [{ LLM_LAB_PORT: '70000' }, "port '70000' (LLM_LAB_PORT) must be an integer in 1..65535"],
    [{ LLM_LAB_IP: '10.255.255.1' }, "address '10.255.255.1' (LLM_LAB_IP) cannot be bound on this machine"]
  ])('%o fails at once (exit 2), before the setup and any port scan: the error is all it prints', async (env, message) => {
    const r = await run([start], env);
    const lines = r.output.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`[llm-lab] error: ${message}`);
    expect(r.code).toBe(2);
    expect(r.seconds).toBeLessThan(10);
  });

  it('moves from a port in use to the next free one and says so', async () => {
    const busy = net.createServer();
    await new Promise<void>(res => busy.listen(0, '127.0.0.1', res));
    const port = (busy.address() as net.AddressInfo).port;
    try {
      // the step of start.sh that picks the port
      const r = await run([path.join(repo, 'scripts/lab-host/address.py'), 'next', '127.0.0.1', String(port)], {}, undefined, 'python3');
      expect(r.code).toBe(0);
      const moved = Number(r.output.match(/^\d+$/m)![0]);
      expect(moved).toBeGreaterThan(port);
      expect(r.output).toContain(`[llm-lab] port ${port} is in use; using ${moved}`);
    } finally {
      busy.close();
    }
  });
});

describe('npm start, as a user runs it', () => {
  it('sets up, picks a free port, prints a URL that opens the lab, and keeps its fresh token out of every process list', async () => {
    const busy = net.createServer();
    await new Promise<void>(res => busy.listen(0, '127.0.0.1', res));
    const port = (busy.address() as net.AddressInfo).port; // taken: npm start must move on
    const child = spawn('npm', ['start'], { cwd: repo, env: { ...envWithoutToken, LLM_LAB_PORT: String(port), NO_COLOR: '1' }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', d => (output += d));
    child.stderr!.on('data', d => (output += d));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no URL within 120 s:\n${output}`)), 120_000);
        const poll = setInterval(() => {
          const m = output.match(/(http:\/\/127\.0\.0\.1:(\d+)\/lab[^\s]*\?token=(\w+))/);
          if (m) {
            clearInterval(poll);
            clearTimeout(timer);
            resolve(m[1]);
          }
        }, 200);
        child.on('close', code => reject(new Error(`npm start ended (${code}) before printing a URL:\n${output}`)));
      });
      const { port: served, searchParams } = new URL(url);
      expect(Number(served)).toBeGreaterThan(port);
      expect(output).toContain(`port ${port} is in use; using ${served}`);
      const token = searchParams.get('token')!;
      expect(token).toMatch(/^[0-9a-f]{32}$/);
      let status = 0;
      for (let i = 0; i < 100 && status !== 200; i++) {
        status = await fetch(url).then(r => r.status, () => 0);
        if (status !== 200) await new Promise(res => setTimeout(res, 300));
      }
      expect(status).toBe(200);
      expect(commandLines().filter(l => l.includes(token))).toEqual([]);
    } finally {
      busy.close();
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        // already gone
      }
      await new Promise(res => child.once('close', res));
    }
  }, 180_000);
});
