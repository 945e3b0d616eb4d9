/**
 * The course panel as a learner uses it, in the real lab: the notebooks of course.json in order
 * with what each teaches and its minutes; progress that follows a saved run; Reset, which asks,
 * keeps the learner's notebook (unsaved edits included) as a backup next to it, writes the
 * pristine copy and reloads the open editor. The pristine copies come from the repo's notebooks
 * (LLM_LAB_PRISTINE_DIR), as on the class hub. Light and dark theme; screenshots in test-results/.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { command, copyNotebooks, Lab, labForSuite, openNotebook, repo, screenshotOf } from './lab';

let lab: Lab;
let page: Page;
let problems: string[];

const course = JSON.parse(fs.readFileSync(path.join(repo, 'notebooks/course.json'), 'utf8')) as {
  notebooks: { file: string; title: string; learn: string; minutes: number }[];
};
const FIRST = '01-your-first-gpt.ipynb';

/** A copy of the course as a learner's folder holds it: the notebooks and course.json. */
function learnerFolder(): string {
  const root = copyNotebooks('course-panel');
  fs.copyFileSync(path.join(repo, 'notebooks/course.json'), path.join(root, 'course.json'));
  return root;
}

labForSuite(learnerFolder, s => ({ lab, page, problems } = s), { LLM_LAB_PROFILE: 'smoke', LLM_LAB_PRISTINE_DIR: path.join(repo, 'notebooks') });

type App = {
  shell: {
    activateById(id: string): void;
    currentWidget: {
      context: { model: { dirty: boolean } };
      content: {
        activeCellIndex: number;
        model: { cells: { get(i: number): { executionCount?: number | null; sharedModel: { getSource(): string; setSource(s: string): void } } } };
      };
      sessionContext: { session: { kernel: { status: string } } };
    };
  };
};

/** Wait until a notebook's row shows this progress ("10/10 cells"). */
async function waitForCount(name: string, text: string): Promise<void> {
  await page.waitForFunction(
    ([name, text]) => document.querySelector(`.llm-lab-course-item[data-path="${name}"] .llm-lab-course-count`)?.textContent === text,
    [name, text],
    { timeout: 60_000 }
  );
}

/** The notebook as saved in the learner's folder. */
const saved = (name: string) => JSON.parse(fs.readFileSync(path.join(lab.root, name), 'utf8'));
const sources = (nb: { cells: { source: string | string[] }[] }) => nb.cells.map(c => (Array.isArray(c.source) ? c.source.join('') : c.source));

describe('the course panel', () => {
  it('lists the course notebooks in order with what each teaches and its minutes', async () => {
    await openNotebook(page, lab, FIRST);
    await page.evaluate(() => (window as unknown as { jupyterapp: App }).jupyterapp.shell.activateById('llm-lab-course'));
    await page.waitForSelector('#llm-lab-course .llm-lab-course-learn', { timeout: 30_000 });
    const rows = page.locator('#llm-lab-course .llm-lab-course-item');
    expect(await rows.evaluateAll(items => items.map(i => (i as HTMLElement).dataset.path))).toEqual(course.notebooks.map(n => n.file));
    expect(await page.locator('.llm-lab-course-title').allTextContents()).toEqual(course.notebooks.map(n => n.title));
    expect(await page.locator('.llm-lab-course-learn').allTextContents()).toEqual(course.notebooks.map(n => n.learn));
    expect(await page.locator('.llm-lab-course-minutes').allTextContents()).toEqual(course.notebooks.map(n => `${n.minutes} min`));
    // The committed notebooks carry the class run's execution counts and outputs; as long as a cell
    // holds the course's own run, it does not count as run by the learner.
    await waitForCount(FIRST, '0/10 cells');
    await screenshotOf(page, '#llm-lab-course', 'course-panel-light.png');
  });

  it('counts the cells run from the saved notebook: cleared, then one cell run', async () => {
    await command(page, 'notebook:clear-all-cell-outputs');
    await command(page, 'docmanager:save');
    await waitForCount(FIRST, '0/10 cells');
    expect(await page.locator(`.llm-lab-course-item[data-path="${FIRST}"] .llm-lab-course-bar-fill`).evaluate(e => (e as HTMLElement).style.width)).toBe('0%');

    await page.evaluate(() => ((window as unknown as { jupyterapp: App }).jupyterapp.shell.currentWidget.content.activeCellIndex = 1));
    await command(page, 'notebook:run-cell');
    await page.waitForFunction(() => {
      const nb = (window as unknown as { jupyterapp: App }).jupyterapp.shell.currentWidget;
      return nb.sessionContext.session.kernel.status === 'idle' && nb.content.model.cells.get(1).executionCount === 1;
    }, null, { timeout: 180_000 });
    await command(page, 'docmanager:save');
    await waitForCount(FIRST, '1/10 cells');
    expect(await page.locator(`.llm-lab-course-item[data-path="${FIRST}"] .llm-lab-course-bar-fill`).evaluate(e => (e as HTMLElement).style.width)).toBe('10%');
    // The Refresh button reads the same file again.
    await page.click('.llm-lab-course-refresh');
    await waitForCount(FIRST, '1/10 cells');
  });

  it('resets a notebook to its pristine copy after saving the learner\u2019s one, unsaved edits included, as a backup', async () => {
    // An edit not saved yet: the dialog says so, and it must end up in the backup.
    await page.evaluate(() => {
      const nb = (window as unknown as { jupyterapp: App }).jupyterapp.shell.currentWidget;
      nb.content.model.cells.get(0).sharedModel.setSource('# My own notes, not saved yet');
    });
    const before = new Set(fs.readdirSync(lab.root));
    await page.click(`.llm-lab-course-item[data-path="${FIRST}"] .llm-lab-course-reset`);
    const dialog = page.locator('.jp-Dialog');
    await dialog.waitFor({ timeout: 30_000 });
    const question = await dialog.textContent();
    expect(question).toContain(`Reset ${FIRST}?`);
    expect(question).toMatch(/saved first, next to it, as 01-your-first-gpt\.backup-\d{4}-\d\d-\d\dT\d{4}\.ipynb/);
    expect(question).toContain('open with unsaved changes');
    await screenshotOf(page, '.jp-Dialog-content', 'course-reset-dialog-light.png');
    await dialog.locator('.jp-mod-accept').click();

    const notice = page.locator('.llm-lab-course-notice');
    await notice.waitFor({ state: 'visible', timeout: 60_000 });
    const backup = /saved as (\S+\.ipynb)\./.exec((await notice.textContent())!)![1];
    expect(before.has(backup)).toBe(false);
    expect(fs.readdirSync(lab.root)).toContain(backup);

    // The backup holds the learner's notebook: the unsaved edit, the cleared outputs, the one run.
    const kept = saved(backup);
    expect(sources(kept)[0]).toBe('# My own notes, not saved yet');
    expect(kept.cells.filter((c: { execution_count?: number | null }) => typeof c.execution_count === 'number').length).toBe(1);
    // The notebook is the pristine copy again, on disk and in the open editor.
    const pristine = JSON.parse(fs.readFileSync(path.join(repo, 'notebooks', FIRST), 'utf8'));
    expect(sources(saved(FIRST))).toEqual(sources(pristine));
    const editor = await page.evaluate(() => {
      const nb = (window as unknown as { jupyterapp: App }).jupyterapp.shell.currentWidget;
      return { first: nb.content.model.cells.get(0).sharedModel.getSource(), dirty: nb.context.model.dirty };
    });
    expect(editor).toEqual({ first: sources(pristine)[0], dirty: false });
    await page.waitForSelector('.jp-NotebookPanel .llm-lab-training', { timeout: 60_000 }); // the committed outputs are back
    await waitForCount(FIRST, '0/10 cells');
    // The backup is listed after the course notebooks, without a Reset (it is not in the course).
    const backupRow = page.locator(`.llm-lab-course-item[data-path="${backup}"]`);
    await backupRow.waitFor({ timeout: 30_000 });
    expect(await backupRow.locator('.llm-lab-course-reset').count()).toBe(0);
    await screenshotOf(page, '#llm-lab-course', 'course-panel-after-reset-light.png');
  });

  it('reads well in the dark theme, and a cancelled reset writes nothing', async () => {
    await command(page, 'apputils:change-theme', { theme: 'JupyterLab Dark' });
    await page.waitForFunction(() => document.body.dataset.jpThemeLight === 'false', null, { timeout: 30_000 });
    await page.waitForTimeout(500);
    await screenshotOf(page, '#llm-lab-course', 'course-panel-dark.png');
    const before = fs.readdirSync(lab.root).sort();
    const modified = fs.statSync(path.join(lab.root, '05-fine-tuning.ipynb')).mtimeMs;
    await page.click('.llm-lab-course-item[data-path="05-fine-tuning.ipynb"] .llm-lab-course-reset');
    const dialog = page.locator('.jp-Dialog');
    await dialog.waitFor({ timeout: 30_000 });
    expect(await dialog.textContent()).not.toContain('unsaved changes'); // not open
    await screenshotOf(page, '.jp-Dialog-content', 'course-reset-dialog-dark.png');
    await dialog.locator('.jp-mod-reject').click();
    await dialog.waitFor({ state: 'detached', timeout: 10_000 });
    await page.waitForTimeout(1000);
    expect(fs.readdirSync(lab.root).sort()).toEqual(before);
    expect(fs.statSync(path.join(lab.root, '05-fine-tuning.ipynb')).mtimeMs).toBe(modified);
  });

  it('serves pristine copies of course notebooks only, to an authenticated user', async () => {
    const get = (name: string, token = true) => fetch(token ? lab.url(`/llm-lab/api/pristine/${name}`) : lab.url(`/llm-lab/api/pristine/${name}`).replace(/\?token=.*/, ''));
    const ok = await get(FIRST);
    expect(ok.status).toBe(200);
    expect(sources(await ok.json())).toEqual(sources(JSON.parse(fs.readFileSync(path.join(repo, 'notebooks', FIRST), 'utf8'))));
    expect((await get('..%2Fpackage.json')).status).toBe(400);
    expect((await get('.secret.ipynb')).status).toBe(400);
    const outside = await get('notes.ipynb');
    expect(outside.status).toBe(404);
    expect((await outside.json()).message).toBe('notes.ipynb is not a notebook of the course (course.json)');
    expect((await get(FIRST, false)).status).toBe(403);
    // jupyter_server 1.23 answers GET /api/kernels with a 500 while a kernel is still starting
    // (its last_activity is set only once the start has finished): the lab polls again.
    const serverRace = /'AsyncIOLoopKernelManager' object has no attribute 'last_activity'/;
    expect(problems.filter(p => !/404|403|api\/(me|events)|Failed to load resource/.test(p) && !serverRace.test(p)), problems.join('\n')).toEqual([]);
  });
});
