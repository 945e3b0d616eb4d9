/**
 * The course panel (left sidebar): the notebooks at the server root, in name order (the
 * course numbers them 01-, 02-, ...). A notebook's title is its first markdown heading; until
 * that is read, or when a notebook has none, the file name stands in.
 */
import { Widget } from '@lumino/widgets';
import { element } from './renderers/dom';

/** The part of JupyterLab's contents manager the panel uses (kept small for tests). */
export interface CourseContents {
  get(path: string, options?: { content?: boolean; type?: 'notebook' | 'directory' }): Promise<{
    name: string;
    path: string;
    type: string;
    content: unknown;
    last_modified?: string;
  }>;
}

export interface CourseNotebook {
  name: string;
  path: string;
  /** Changes when the file does: the title cache key. */
  lastModified: string;
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

/** The .ipynb files at the server root, sorted by name. */
export async function listCourseNotebooks(contents: CourseContents): Promise<CourseNotebook[]> {
  const root = await contents.get('', { content: true, type: 'directory' });
  const items = Array.isArray(root.content) ? (root.content as { name: string; path: string; type: string; last_modified?: string }[]) : [];
  return items
    .filter(item => item.type === 'notebook' && item.name.toLowerCase().endsWith('.ipynb'))
    .map(item => ({ name: item.name, path: item.path, lastModified: item.last_modified ?? '' }))
    .sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
}

export class CoursePanel extends Widget {
  private readonly list = element('ul', 'llm-lab-course-list');
  private readonly status = element('div', 'llm-lab-course-status');
  /** Titles read so far, by path + modification time. */
  private readonly titles = new Map<string, string | null>();
  private refreshTimer: ReturnType<typeof setTimeout> | null = null;
  /** Bumped by every refresh, so a slow title read from an older one is dropped. */
  private generation = 0;

  constructor(
    private readonly contents: CourseContents,
    private readonly open: (path: string) => Promise<unknown>
  ) {
    super();
    this.id = 'llm-lab-course';
    this.addClass('llm-lab-course');
    this.title.caption = 'LLM Lab course';
    this.title.iconClass = 'llm-lab-course-icon';

    const header = element('div', 'llm-lab-course-header');
    const refresh = element('button', 'llm-lab-course-refresh', 'Refresh');
    refresh.title = 'List the course notebooks again';
    refresh.addEventListener('click', () => void this.refresh());
    header.append(element('span', 'llm-lab-course-heading', 'LLM Lab course'), refresh);
    this.node.append(header, this.status, this.list);
  }

  /** List the notebooks again; resolves to the list (empty when the contents API failed). */
  async refresh(): Promise<CourseNotebook[]> {
    const generation = ++this.generation;
    let notebooks: CourseNotebook[];
    try {
      notebooks = await listCourseNotebooks(this.contents);
    } catch (error) {
      this.showStatus(`Could not list the course notebooks: ${error instanceof Error ? error.message : String(error)}`);
      return [];
    }
    if (generation !== this.generation || this.isDisposed) return notebooks;
    this.showStatus(notebooks.length ? '' : 'No notebooks at the top of the server folder.');
    this.list.replaceChildren(...notebooks.map(nb => this.entry(nb)));
    void this.readTitles(notebooks, generation);
    return notebooks;
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

  private showStatus(text: string): void {
    this.status.textContent = text;
    this.status.hidden = !text;
  }

  private entry(nb: CourseNotebook): HTMLLIElement {
    const button = element('button', 'llm-lab-course-entry');
    button.dataset.path = nb.path;
    button.title = `Open ${nb.path}`;
    const title = this.titles.get(this.key(nb)) ?? titleFromFileName(nb.name);
    button.append(element('span', 'llm-lab-course-title', title), element('span', 'llm-lab-course-file', nb.name));
    button.addEventListener('click', () => void this.open(nb.path));
    const item = element('li', 'llm-lab-course-item');
    item.append(button);
    return item;
  }

  /** Read each notebook's first heading, one at a time (notebooks with outputs can be large). */
  private async readTitles(notebooks: CourseNotebook[], generation: number): Promise<void> {
    for (const nb of notebooks) {
      const key = this.key(nb);
      if (!this.titles.has(key)) {
        try {
          const model = await this.contents.get(nb.path, { content: true, type: 'notebook' });
          this.titles.set(key, notebookTitle(model.content));
        } catch {
          this.titles.set(key, null); // keep the file name; do not retry on every refresh
        }
      }
      if (generation !== this.generation || this.isDisposed) return;
      const title = this.titles.get(key);
      const button = Array.from(this.list.querySelectorAll<HTMLElement>('.llm-lab-course-entry')).find(b => b.dataset.path === nb.path);
      const span = button?.querySelector('.llm-lab-course-title');
      if (span && title) span.textContent = title;
    }
  }

  private key(nb: CourseNotebook): string {
    return `${nb.path}@${nb.lastModified}`;
  }
}
