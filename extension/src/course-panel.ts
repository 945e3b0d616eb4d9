/**
 * The course panel (left sidebar): the course notebooks in the order of the course manifest
 * (course.json at the server root: title, what each teaches, minutes of compute), then any other
 * notebook of the folder by name. Each row shows the learner's progress, counted from their own
 * saved notebook, and can reset the notebook to its pristine copy. Without a manifest a title is
 * the notebook's first markdown heading; until that is read, or when it has none, the file name.
 */
import { Widget } from '@lumino/widgets';
import {
  COURSE_MANIFEST,
  CourseEntry,
  CourseManifest,
  CourseNotebook,
  mergeCourse,
  NotebookProgress,
  notebookProgress,
  parseCourseManifest,
  progressLabel
} from './course-model';
import type { ResetOutcome } from './course-reset';
import { element } from './renderers/dom';

export type { CourseEntry, CourseNotebook } from './course-model';

/** The part of JupyterLab's contents manager the panel uses (kept small for tests). */
export interface CourseContents {
  get(
    path: string,
    options?: { content?: boolean; type?: 'notebook' | 'directory' | 'file'; format?: 'text' | 'json' }
  ): Promise<{
    name: string;
    path: string;
    type: string;
    content: unknown;
    last_modified?: string;
  }>;
}

/** "01-your-first-gpt.ipynb" -> "01 your first gpt": a readable stand-in for a title. */
export function titleFromFileName(name: string): string {
  return name.replace(/\.ipynb$/i, '').replace(/[-_]+/g, ' ');
}

/** The first markdown heading of a notebook ("# Your first GPT" -> "Your first GPT"), or null. */
export function notebookTitle(notebook: unknown): string | null {
  const cells = (notebook as { cells?: unknown } | null)?.cells;
  if (!Array.isArray(cells)) return null;
  for (const cell of cells as { cell_type?: unknown; source?: unknown }[]) {
    if (cell?.cell_type !== 'markdown') continue;
    const source = Array.isArray(cell.source) ? cell.source.join('') : String(cell.source ?? '');
    const heading = /^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$/m.exec(source);
    if (heading) return heading[1];
  }
  return null;
}

interface RootListing {
  notebooks: CourseNotebook[];
  hasManifest: boolean;
}

/** The .ipynb files at the server root (sorted by name), and whether course.json is there. */
async function listRoot(contents: CourseContents): Promise<RootListing> {
  const root = await contents.get('', { content: true, type: 'directory' });
  const items = Array.isArray(root.content) ? (root.content as { name: string; path: string; type: string; last_modified?: string }[]) : [];
  const notebooks = items
    .filter(item => item.type === 'notebook' && item.name.toLowerCase().endsWith('.ipynb'))
    .map(item => ({ name: item.name, path: item.path, lastModified: item.last_modified ?? '' }))
    .sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
  return { notebooks, hasManifest: items.some(item => item.name === COURSE_MANIFEST && item.type === 'file') };
}

/** The .ipynb files at the server root, sorted by name. */
export async function listCourseNotebooks(contents: CourseContents): Promise<CourseNotebook[]> {
  return (await listRoot(contents)).notebooks;
}

/** What one read of a notebook file gives the panel. */
interface NotebookSummary {
  title: string | null;
  progress: NotebookProgress | null;
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

export class CoursePanel extends Widget {
  private readonly list = element('ul', 'llm-lab-course-list');
  private readonly status = element('div', 'llm-lab-course-status');
  /** What the last reset did (where the backup is), kept across refreshes. */
  private readonly notice = element('div', 'llm-lab-course-notice');
  /** Titles and progress read so far, by path + modification time. */
  private readonly summaries = new Map<string, NotebookSummary>();
  private refreshTimer: ReturnType<typeof setTimeout> | null = null;
  /** Bumped by every refresh, so a slow read from an older one is dropped. */
  private generation = 0;

  /**
   * @param open opens a notebook in the lab
   * @param reset resets a course notebook to its pristine copy (asking first); without it the
   *   panel offers no reset
   * @param pristine the course's pristine copy of a notebook, by file name: cells that still hold
   *   the course's own run do not count as run by the learner
   */
  constructor(
    private readonly contents: CourseContents,
    private readonly open: (path: string) => Promise<unknown>,
    private readonly reset?: (path: string) => Promise<ResetOutcome>,
    private readonly pristine?: (name: string) => Promise<unknown>
  ) {
    super();
    this.id = 'llm-lab-course';
    this.addClass('llm-lab-course');
    this.title.caption = 'LLM Lab course';
    this.title.iconClass = 'llm-lab-course-icon';

    const header = element('div', 'llm-lab-course-header');
    const refresh = element('button', 'llm-lab-course-refresh', 'Refresh');
    refresh.title = 'List the course notebooks and read your progress again';
    refresh.addEventListener('click', () => void this.refresh());
    header.append(element('span', 'llm-lab-course-heading', 'LLM Lab course'), refresh);
    this.notice.hidden = true;
    this.node.append(header, this.notice, this.status, this.list);
  }

  /** List the notebooks again; resolves to the rows shown (none when the contents API failed). */
  async refresh(): Promise<CourseEntry[]> {
    const generation = ++this.generation;
    let listing: RootListing;
    try {
      listing = await listRoot(this.contents);
    } catch (error) {
      this.showStatus(`Could not list the course notebooks: ${message(error)}`);
      return [];
    }
    const { manifest, problem } = listing.hasManifest ? await this.readManifest() : { manifest: null, problem: '' };
    const entries = mergeCourse(manifest, listing.notebooks);
    if (generation !== this.generation || this.isDisposed) return entries;
    this.showStatus(problem || (entries.length ? '' : 'No notebooks at the top of the server folder.'));
    this.list.replaceChildren(...entries.map(entry => this.row(entry)));
    // What was read from older versions of the files is not needed again.
    const current = new Set(entries.map(entry => this.key(entry)));
    for (const key of this.summaries.keys()) if (!current.has(key)) this.summaries.delete(key);
    void this.readNotebooks(entries, generation);
    return entries;
  }

  /** Coalesce bursts of file changes (a save touches a file several times) into one refresh. */
  scheduleRefresh(): void {
    if (this.refreshTimer !== null) clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = null;
      void this.refresh();
    }, 500);
  }

  override dispose(): void {
    if (this.refreshTimer !== null) clearTimeout(this.refreshTimer);
    super.dispose();
  }

  /** The manifest, or null with the reason shown (the panel then lists the notebooks by name). */
  private async readManifest(): Promise<{ manifest: CourseManifest | null; problem: string }> {
    try {
      const file = await this.contents.get(COURSE_MANIFEST, { content: true, type: 'file', format: 'text' });
      return { manifest: parseCourseManifest(JSON.parse(String(file.content))), problem: '' };
    } catch (error) {
      return { manifest: null, problem: `Could not read the course order: ${message(error)}` };
    }
  }

  private showStatus(text: string): void {
    this.status.textContent = text;
    this.status.hidden = !text;
  }

  private showNotice(text: string, isError = false): void {
    this.notice.textContent = text;
    this.notice.hidden = !text;
    this.notice.classList.toggle('llm-lab-mod-error', isError);
  }

  private row(entry: CourseEntry): HTMLLIElement {
    const item = element('li', 'llm-lab-course-item');
    item.dataset.path = entry.path;
    item.classList.toggle('llm-lab-mod-missing', entry.missing);

    const button = element('button', 'llm-lab-course-entry');
    button.dataset.path = entry.path;
    const summary = this.summaries.get(this.key(entry));
    const title = entry.course?.title ?? summary?.title ?? titleFromFileName(entry.name);
    button.append(element('span', 'llm-lab-course-title', title));
    if (entry.course?.learn) button.append(element('span', 'llm-lab-course-learn', entry.course.learn));
    const file = element('span', 'llm-lab-course-file', entry.missing ? `${entry.name} · not in your folder` : entry.name);
    if (entry.course) {
      const minutes = element('span', 'llm-lab-course-minutes', `${entry.course.minutes} min`);
      minutes.title = `About ${entry.course.minutes} minutes of compute in the class profile`;
      file.append(' · ', minutes);
    }
    button.append(file);
    if (entry.missing) {
      button.disabled = true;
      button.title = `${entry.name} is not in your folder: Restore brings back the course's copy`;
    } else {
      button.title = `Open ${entry.path}`;
      button.addEventListener('click', () => void this.open(entry.path));
    }
    item.append(button);

    const footer = element('div', 'llm-lab-course-progress');
    if (!entry.missing) footer.append(...this.progressView(summary?.progress ?? null));
    if (this.reset && entry.course) {
      const reset = element('button', 'llm-lab-course-reset', entry.missing ? 'Restore' : 'Reset');
      reset.title = entry.missing
        ? `Bring back the course's copy of ${entry.name}`
        : `Replace ${entry.name} by the course's original copy (yours is kept as a backup)`;
      reset.addEventListener('click', () => void this.resetEntry(entry.path, reset));
      footer.append(reset);
    }
    item.append(footer);
    return item;
  }

  /** A bar of cells run, and "12/30 cells · 1/2 exercises"; empty until the notebook was read. */
  private progressView(progress: NotebookProgress | null): HTMLElement[] {
    const bar = element('div', 'llm-lab-course-bar');
    const fill = element('div', 'llm-lab-course-bar-fill');
    const done = progress && progress.cells ? progress.cellsRun / progress.cells : 0;
    fill.style.width = `${Math.round(done * 100)}%`;
    bar.append(fill);
    bar.setAttribute('role', 'progressbar');
    bar.setAttribute('aria-valuemin', '0');
    bar.setAttribute('aria-valuemax', String(progress?.cells ?? 0));
    bar.setAttribute('aria-valuenow', String(progress?.cellsRun ?? 0));
    // Each part unbroken, so a narrow sidebar wraps between "cells" and "exercises" only.
    const count = element('span', 'llm-lab-course-count');
    const parts = progress ? progressLabel(progress).split(' · ') : [];
    parts.forEach((part, i) => count.append(...(i ? [' · '] : []), element('span', 'llm-lab-course-count-part', part)));
    return [bar, count];
  }

  private async resetEntry(path: string, button: HTMLButtonElement): Promise<void> {
    button.disabled = true;
    try {
      const outcome = await this.reset!(path);
      if (outcome.done) {
        this.showNotice(
          outcome.backup
            ? `${outcome.name} is the course's original again. Your copy is saved as ${outcome.backup}.`
            : `${outcome.name} is back: the course's original copy.`
        );
      }
    } catch (error) {
      this.showNotice(`Could not reset ${path}: ${message(error)}`, true);
    } finally {
      button.disabled = false;
      void this.refresh();
    }
  }

  /** Read each notebook's title and progress, one at a time (notebooks with outputs can be large). */
  private async readNotebooks(entries: CourseEntry[], generation: number): Promise<void> {
    for (const entry of entries) {
      if (entry.missing) continue;
      const key = this.key(entry);
      if (!this.summaries.has(key)) {
        try {
          const model = await this.contents.get(entry.path, { content: true, type: 'notebook' });
          const original = entry.course ? await this.pristineCopy(entry.name) : null; // only the course's notebooks have one
          this.summaries.set(key, { title: notebookTitle(model.content), progress: notebookProgress(model.content, original) });
        } catch {
          this.summaries.set(key, { title: null, progress: null }); // do not retry on every refresh
        }
      }
      if (generation !== this.generation || this.isDisposed) return;
      const item = Array.from(this.list.children).find(li => (li as HTMLElement).dataset.path === entry.path);
      if (item) item.replaceWith(this.row(entry));
    }
  }

  /** Pristine copies read so far, by name; null where the server has none (then every run counts). */
  private readonly originals = new Map<string, unknown>();

  private async pristineCopy(name: string): Promise<unknown> {
    if (!this.pristine) return null;
    if (!this.originals.has(name)) {
      try {
        this.originals.set(name, await this.pristine(name));
      } catch {
        this.originals.set(name, null);
      }
    }
    return this.originals.get(name);
  }

  private key(entry: CourseNotebook): string {
    return `${entry.path}@${entry.lastModified}`;
  }
}
