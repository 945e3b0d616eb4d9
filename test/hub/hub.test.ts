/**
 * The course for a class through JupyterHub (`npm run hub`, scripts/hub.sh): three learners log in
 * at once in Chromium, each runs notebook 01 (smoke profile) on their own server and kernel, as
 * their own Unix user, and sees the live training plot. Learner A cannot open learner B's notebook,
 * neither through the server nor from a kernel cell. The idle-server culler stops a server with its
 * kernel, and stopping the hub leaves no learner process. As root, with Debian's jupyterhub.
 */
import { ChildProcess, execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, repo, results, trainingStatuses, watchTrainingStatuses } from '../browser/lab';

const NB = '01-your-first-gpt.ipynb';
const canRun = process.getuid?.() === 0 && fs.existsSync('/usr/bin/jupyterhub') && fs.existsSync('/usr/bin/configurable-http-proxy');
const port = 21000 + Math.floor(Math.random() * 5000);
const hubUrl = `http://127.0.0.1:${port}`;
// account names of this run only (hub.sh numbers them: <prefix>1, <prefix>2, ...)
const prefix = `lh${Math.random().toString(36).slice(2, 6).replace(/\d/g, 'x')}`;
const state = fs.mkdtempSync(path.join(os.tmpdir(), 'llm-lab-hub-'));
const env = {
  ...process.env,
  LLM_LAB_HUB_STATE: state,
  LLM_LAB_HUB_PORT: String(port),
  LLM_LAB_HUB_PREFIX: prefix,
  LLM_LAB_PROFILE: 'smoke'
};

interface Learner {
  name: string;
  password: string;
  context: BrowserContext;
  page: Page;
  problems: string[];
}

/** The pids of a user's processes. */
const processesOf = (user: string): number[] => {
  try {
    return execFileSync('pgrep', ['-u', user], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map(Number);
  } catch {
    return []; // pgrep exits 1 when there are none
  }
};

async function until(seconds: number, ok: () => boolean | Promise<boolean>): Promise<boolean> {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    if (await ok()) return true;
    await new Promise(r => setTimeout(r, 250));
  }
  return false;
}

/** Run JupyterLab code in the page: `fn(app, arg)`, app being window.jupyterapp. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const inLab = <T, A>(page: Page, fn: (app: any, arg: A) => T | Promise<T>, arg?: A): Promise<T> =>
  page.evaluate(({ src, arg }) => new Function('app', 'arg', `return (${src})(app, arg)`)((window as unknown as { jupyterapp: unknown }).jupyterapp, arg), { src: fn.toString(), arg }) as Promise<T>;

describe.skipIf(!canRun)('JupyterHub for a class (npm run hub)', () => {
  let hub: ChildProcess;
  let hubLog = '';
  let browser: Browser;
  const learners: Learner[] = [];

  beforeAll(async () => {
    fs.mkdirSync(results, { recursive: true });
    const made = execFileSync('bash', [path.join(repo, 'scripts/hub.sh'), '--add-learners', '3'], { env, encoding: 'utf8' });
    const accounts = made.trim().split('\n').map(l => l.split(' '));
    expect(accounts.map(a => a[0])).toEqual([1, 2, 3].map(i => `${prefix}${i}`));
    hub = spawn('bash', [path.join(repo, 'scripts/hub.sh')], { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    hub.stdout!.on('data', d => (hubLog += d));
    hub.stderr!.on('data', d => (hubLog += d));
    const up = await until(300, async () => hub.exitCode === null && (await fetch(`${hubUrl}/hub/login`).catch(() => undefined))?.status === 200);
    expect(up, hubLog).toBe(true);
    browser = (await openBrowser()).browser;
    for (const [name, password] of accounts) {
      const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
      const page = await context.newPage();
      const problems: string[] = [];
      page.on('pageerror', e => problems.push(e.message));
      learners.push({ name, password, context, page, problems });
    }
  });

  afterAll(async () => {
    await browser?.close();
    if (hub?.exitCode === null) process.kill(-hub.pid!, 'SIGTERM');
    await until(60, () => hub.exitCode !== null);
    execFileSync('bash', [path.join(repo, 'scripts/hub.sh'), '--remove-learners'], { env });
    fs.rmSync(state, { recursive: true, force: true });
  });

  it('three learners log in at once, each runs notebook 01 on their own kernel and sees the live training plot', async () => {
    const ran = await Promise.all(
      learners.map(async ({ name, password, page }) => {
        await page.goto(`${hubUrl}/hub/login`);
        await page.fill('#username_input', name);
        await page.fill('#password_input', password);
        await Promise.all([page.waitForURL(new RegExp(`/user/${name}/lab`), { timeout: 180_000 }), page.click('#login_submit')]);
        await page.waitForFunction(() => (window as unknown as { __labReady?: boolean }).__labReady === true, null, { timeout: 180_000 });
        await page.waitForSelector('.jp-NotebookPanel .jp-Cell', { timeout: 120_000 });
        const opened = await inLab(page, async app => {
          const context = app.shell.currentWidget.sessionContext;
          await context.ready;
          return { kernel: context.session.kernel.name as string, path: location.pathname };
        });
        // the same live view check as the single-user browser test (test/browser/lab.test.ts)
        await inLab(page, app => app.commands.execute('notebook:clear-all-cell-outputs'));
        await watchTrainingStatuses(page);
        await inLab(page, app => app.commands.execute('notebook:run-all-cells'));
        await page.waitForFunction(() => document.querySelector('.llm-lab-training .llm-lab-status')?.textContent === 'done', null, { timeout: 600_000 });
        await page.waitForFunction(
          () => (window as unknown as { jupyterapp: { shell: { currentWidget: { sessionContext: { session: { kernel: { status: string } } } } } } }).jupyterapp.shell.currentWidget.sessionContext.session.kernel.status === 'idle',
          null,
          { timeout: 600_000 }
        );
        await page.locator('.llm-lab-training').first().scrollIntoViewIfNeeded();
        await page.screenshot({ path: path.join(results, `hub-${name.replace(prefix, 'learner')}.png`) });
        const statuses = await trainingStatuses(page);
        const errors = await page.locator('.llm-lab-error, .jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]').allTextContents();
        const owners = fs.readdirSync('/proc').flatMap(p => {
          try {
            return /^\d+$/.test(p) && fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('tslab-kernel.js') ? [fs.statSync(`/proc/${p}`).uid] : [];
          } catch {
            return []; // ended meanwhile
          }
        });
        return { name, opened, statuses, errors, kernelOwners: owners };
      })
    );
    for (const r of ran) {
      expect(r.opened.kernel).toBe('tslab');
      expect(r.opened.path).toBe(`/user/${r.name}/lab/tree/${NB}`);
      expect(r.statuses, `${r.name}: ${r.statuses.join(' ')}`).toContain('running+plot');
      expect(r.statuses.at(-1)).toBe('done+plot');
      expect(r.errors, r.errors.join('\n')).toEqual([]);
    }
    // one kernel per learner, each running as that learner
    const uids = learners.map(l => Number(execFileSync('id', ['-u', l.name], { encoding: 'utf8' })));
    for (const uid of uids) expect(ran[0].kernelOwners.concat(ran[1].kernelOwners, ran[2].kernelOwners)).toContain(uid);
  });

  it("learner A cannot open learner B's notebook: not through B's server, not through A's, not from A's kernel", async () => {
    const [a, b] = learners;
    // B's contents API and B's lab, from A's logged-in browser: the hub's login refuses
    const viaB = await a.page.evaluate(async url => (await fetch(url, { credentials: 'include' })).status, `/user/${b.name}/api/contents/${NB}?content=0`);
    expect(viaB).toBe(403);
    const tab = await a.context.newPage();
    const response = await tab.goto(`${hubUrl}/user/${b.name}/lab/tree/${NB}`);
    expect(response?.status()).toBe(403);
    await tab.close();
    // A's own server, asked for a path out of A's folder
    const viaA = await inLab(
      a.page,
      async (app, p: string) => {
        try {
          await app.serviceManager.contents.get(p, { content: false });
          return 'read';
        } catch (e) {
          return `refused ${(e as { response?: { status: number } }).response?.status}`;
        }
      },
      `../../${b.name}/llm-lab/${NB}`
    );
    expect(viaA).toMatch(/^refused 4\d\d$/);
    // a cell in A's kernel reads B's file: the file system refuses (B's home is 0700)
    const code = `try { require('fs').readFileSync('/home/${b.name}/llm-lab/${NB}', 'utf8'); console.log('READ'); } catch (e) { console.log('refused:', (e as Error).message); }`;
    const out = await inLab(
      a.page,
      async (app, code: string) => {
        const panel = app.shell.currentWidget;
        panel.content.activeCellIndex = panel.content.widgets.length - 1;
        await app.commands.execute('notebook:insert-cell-below');
        panel.content.activeCell.model.sharedModel.setSource(code);
        await app.commands.execute('notebook:run-cell');
        const cell = panel.content.widgets[panel.content.widgets.length - 1];
        for (let i = 0; i < 600 && cell.model.outputs.length === 0; i++) await new Promise(r => setTimeout(r, 100));
        return cell.model.outputs.toJSON().map((o: { text?: string }) => o.text ?? JSON.stringify(o)).join('');
      },
      code
    );
    expect(out).toMatch(new RegExp(`refused: EACCES: permission denied, open '/home/${b.name}/llm-lab/${NB}'`));
  });

  it("the idle-server culler stops a learner's server through the hub's API, kernel included", async () => {
    const c = learners[2];
    expect(processesOf(c.name).length).toBeGreaterThan(0);
    const out = execFileSync('/usr/bin/python3', [path.join(repo, 'scripts/hub/cull_idle_servers.py'), '--once', '--idle-after=0', `--users=${c.name}`], {
      env: { ...process.env, JUPYTERHUB_API_URL: `http://127.0.0.1:${port + 1}/hub/api`, JUPYTERHUB_API_TOKEN: fs.readFileSync(path.join(state, 'culler_token'), 'utf8').trim() },
      encoding: 'utf8'
    });
    expect(out).toContain(`stopping ${c.name}'s server`);
    expect(await until(30, () => processesOf(c.name).length === 0), `left: ${processesOf(c.name)}`).toBe(true);
    // the others keep theirs
    for (const l of learners.slice(0, 2)) expect(processesOf(l.name).length).toBeGreaterThan(0);
  });

  it('stopping the hub (Ctrl-C) stops every learner server and kernel: no learner process is left', async () => {
    process.kill(-hub.pid!, 'SIGINT');
    expect(await until(60, () => hub.exitCode !== null), hubLog).toBe(true);
    expect(hubLog).toContain('[llm-lab hub] stopped');
    expect(hubLog).not.toContain('still had processes');
    for (const l of learners) expect(processesOf(l.name), l.name).toEqual([]);
  });
});
