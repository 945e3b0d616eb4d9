/**
 * Drive the real lab: start the JupyterLab host (scripts/lab-server.sh, what `npm start` runs)
 * on a copy of the notebooks, and Debian's Chromium through playwright-core.
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { Browser, chromium, Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';

export const repo = path.resolve(__dirname, '../..');
export const results = path.join(repo, 'test-results');

export interface Lab {
  url: (p: string) => string;
  root: string;
  stop: () => Promise<void>;
  log: () => string;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** Start the lab server on `root` (a folder inside the repo: notebooks import from node_modules). */
export async function startLab(root: string, env: Record<string, string> = {}): Promise<Lab> {
  const port = await freePort();
  const token = Math.random().toString(36).slice(2);
  let output = '';
  // Settings (theme, ...) and workspaces of this run only, next to its notebooks.
  const state = { LLM_LAB_SETTINGS_DIR: `${root}-lab/settings`, LLM_LAB_WORKSPACES_DIR: `${root}-lab/workspaces` };
  // The token goes through the environment, as `npm start` passes it: never on a command line.
  const server: ChildProcess = spawn('bash', [path.join(repo, 'scripts/lab-server.sh'), root, String(port)], {
    env: { ...process.env, ...state, ...env, JUPYTER_TOKEN: token },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe']
  });
  server.stdout!.on('data', d => (output += d));
  server.stderr!.on('data', d => (output += d));
  const url = (p: string) => `http://127.0.0.1:${port}${p}${p.includes('?') ? '&' : '?'}token=${token}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (server.exitCode !== null) throw new Error(`lab server exited (${server.exitCode}):\n${output}`);
    try {
      const r = await fetch(url('/api/status'));
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`lab server did not start within 60 s:\n${output}`);
    await new Promise(r => setTimeout(r, 300));
  }
  return {
    url,
    root,
    log: () => output,
    stop: async () => {
      try {
        process.kill(-server.pid!, 'SIGTERM');
      } catch {
        // already gone
      }
      await new Promise(r => setTimeout(r, 500));
    }
  };
}

/** A fresh folder inside the repo holding copies of the notebooks. */
export function copyNotebooks(name: string): string {
  const dir = path.join(repo, '.local/runs', `${name}-${Date.now()}`);
  fs.mkdirSync(dir, { recursive: true });
  for (const f of fs.readdirSync(path.join(repo, 'notebooks'))) {
    if (f.endsWith('.ipynb')) fs.copyFileSync(path.join(repo, 'notebooks', f), path.join(dir, f));
  }
  return dir;
}

export async function openBrowser(): Promise<{ browser: Browser; page: Page; problems: string[] }> {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage']
  });
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const problems: string[] = [];
  page.on('pageerror', e => problems.push(`[pageerror] ${e.message}`));
  page.on('console', m => {
    if (m.type() === 'error') problems.push(`[console.error] ${m.text()} (at ${m.location().url.split('/').pop()}:${m.location().lineNumber})`);
  });
  return { browser, page, problems };
}

/** One output of a committed notebook: its MIME bundle. */
export interface SavedOutput {
  data?: Record<string, unknown>;
}

/** Every output of notebooks/<name>, in order. */
export function savedOutputs(name: string): SavedOutput[] {
  const nb = JSON.parse(fs.readFileSync(path.join(repo, 'notebooks', name), 'utf8'));
  return nb.cells.flatMap((c: { outputs?: SavedOutput[] }) => c.outputs ?? []);
}

/** An output drawn by the extension (it carries an LLM Lab view spec). */
export const isView = (o: SavedOutput): boolean => Object.keys(o.data ?? {}).some(m => m.startsWith('application/vnd.llm-lab.'));

/** An output that is only a static picture (SVG + text). */
export const isPictureOnly = (o: SavedOutput): boolean => o.data?.['image/svg+xml'] !== undefined && !isView(o);

/** Close the browser, stop the lab and remove its folders: the afterAll of every browser suite. */
export async function closeLab(browser: Browser | undefined, lab: Lab | undefined): Promise<void> {
  await browser?.close();
  await lab?.stop();
  if (lab?.root) for (const dir of [lab.root, `${lab.root}-lab`]) fs.rmSync(dir, { recursive: true, force: true });
}

export interface LabSession {
  lab: Lab;
  page: Page;
  /** page errors and failed requests, as openBrowser collects them */
  problems: string[];
}

/**
 * A suite's lab and browser: a lab on the notebooks in `root()` and a page, started before the
 * suite's tests and closed after them. `use` gets them once they are up.
 */
export function labForSuite(root: () => string, use: (session: LabSession) => void | Promise<void>, env: Record<string, string> = {}): void {
  let lab: Lab | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    fs.mkdirSync(results, { recursive: true });
    lab = await startLab(root(), env);
    const opened = await openBrowser();
    browser = opened.browser;
    await use({ lab, page: opened.page, problems: opened.problems });
  });
  afterAll(() => closeLab(browser, lab));
}

/** Open a notebook in the lab and wait until its kernel is ready. */
export async function openNotebook(page: Page, lab: Lab, name: string): Promise<void> {
  await page.goto(lab.url(`/lab/tree/${name}`), { waitUntil: 'load' });
  await page.waitForFunction(() => (window as unknown as { __labReady?: boolean }).__labReady === true, null, { timeout: 120_000 });
  await page.waitForSelector('.jp-NotebookPanel .jp-Cell', { timeout: 60_000 });
  await page.evaluate(async () => {
    const app = (window as unknown as { jupyterapp: { shell: { currentWidget: { sessionContext: { ready: Promise<void> } } } } }).jupyterapp;
    await app.shell.currentWidget.sessionContext.ready;
  });
}

export async function command(page: Page, id: string, args: object = {}): Promise<void> {
  await page.evaluate(
    async ({ id, args }) => {
      const app = (window as unknown as { jupyterapp: { commands: { execute(id: string, args: object): Promise<unknown> } } }).jupyterapp;
      await app.commands.execute(id, args);
    },
    { id, args }
  );
}

/** A fresh folder under .local/runs holding one notebook, for a suite's lab to open. */
export function notebookFolder(name: string, notebook: object): string {
  const root = path.join(repo, '.local/runs', `${name}-${Date.now()}`);
  fs.mkdirSync(root, { recursive: true });
  fs.writeFileSync(path.join(root, `${name}.ipynb`), JSON.stringify(notebook, null, 1));
  return root;
}

/** A notebook of saved outputs, as a run leaves them: one code cell per [name, MIME bundle]. */
export function savedViewsNotebook(views: [string, object][]): object {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { display_name: 'TypeScript', language: 'typescript', name: 'tslab' } },
    cells: views.map(([name, bundle], i) => ({
      cell_type: 'code',
      id: `c${i}`,
      metadata: {},
      execution_count: i + 1,
      source: `// the ${name} view`,
      outputs: [{ output_type: 'display_data', data: bundle, metadata: {} }]
    }))
  };
}

/** Screenshot the first element `selector` finds, scrolled into view, as test-results/<file>. */
export async function screenshotOf(page: Page, selector: string, file: string): Promise<void> {
  const view = page.locator(selector).first();
  await view.scrollIntoViewIfNeeded();
  await view.screenshot({ path: path.join(results, file) });
}


/**
 * Record every status the live training view shows ("running ... +plot", "done ..."), from now on;
 * trainingStatuses(page) reads them back. Shared by the single-user and the hub tests.
 */
export async function watchTrainingStatuses(page: Page): Promise<void> {
  await page.evaluate(() => {
    const seen: string[] = [];
    (window as unknown as { __statuses: string[] }).__statuses = seen;
    new MutationObserver(() => {
      const badge = document.querySelector('.llm-lab-training .llm-lab-status');
      const plot = document.querySelector('.llm-lab-training .js-plotly-plot');
      const text = `${badge?.textContent}${plot ? '+plot' : ''}`;
      if (badge && seen[seen.length - 1] !== text) seen.push(text);
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
}

export async function trainingStatuses(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { __statuses: string[] }).__statuses);
}
