import './setup';
import { afterEach, describe, expect, it } from 'vitest';
import { Widget } from '@lumino/widgets';
import { CourseContents, CoursePanel, notebookTitle, titleFromFileName } from '../../extension/src/course-panel';

afterEach(() => {
  document.body.replaceChildren();
});

const notebook = (...markdown: (string | string[])[]) => ({
  cells: [{ cell_type: 'code', source: '# not a heading: code' }, ...markdown.map(source => ({ cell_type: 'markdown', source }))]
});

/** A contents manager holding a server root folder. */
function fakeContents(files: Record<string, unknown>, failing: string[] = []): CourseContents & { reads: string[] } {
  const reads: string[] = [];
  return {
    reads,
    async get(path) {
      reads.push(path);
      if (failing.includes(path)) throw new Error(`404: ${path || 'root'} not found`);
      if (path === '') {
        const content = Object.keys(files).map(name => ({ name, path: name, type: name.endsWith('.ipynb') ? 'notebook' : name.includes('.') ? 'file' : 'directory', last_modified: '2024-01-01' }));
        return { name: '', path: '', type: 'directory', content };
      }
      const content = files[path];
      return typeof content === 'string' ? { name: path, path, type: 'file', content } : { name: path, path, type: 'notebook', content };
    }
  };
}

async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise(resolve => setTimeout(resolve, 0));
}

describe('course panel', () => {
  it('lists the root notebooks in course order with their first heading as title', async () => {
    const contents = fakeContents({
      '10-alignment.ipynb': notebook('## 10 · Alignment: DPO and friends'),
      '02-tokenizers.ipynb': notebook(['Some intro\n', '# Tokenizers\n', 'text']),
      '01-your-first-gpt.ipynb': notebook('# Your first GPT'),
      'notes.txt': 'x',
      data: null
    });
    const opened: string[] = [];
    const panel = new CoursePanel(contents, async path => opened.push(path));
    Widget.attach(panel, document.body);
    const listed = await panel.refresh();
    expect(listed.map(nb => nb.name)).toEqual(['01-your-first-gpt.ipynb', '02-tokenizers.ipynb', '10-alignment.ipynb']);
    await settle();
    const titles = Array.from(panel.node.querySelectorAll('.llm-lab-course-title')).map(t => t.textContent);
    expect(titles).toEqual(['Your first GPT', 'Tokenizers', '10 · Alignment: DPO and friends']);
    expect(panel.node.id).toBe('llm-lab-course');
    expect(panel.node.textContent).toContain('01-your-first-gpt.ipynb');

    panel.node.querySelectorAll<HTMLButtonElement>('.llm-lab-course-entry')[1].click();
    expect(opened).toEqual(['02-tokenizers.ipynb']);

    // titles are cached: a refresh lists the folder again but does not re-read the notebooks
    contents.reads.length = 0;
    await panel.refresh();
    await settle();
    expect(contents.reads).toEqual(['']);
  });

  it('keeps the file name when a notebook has no heading or cannot be read', async () => {
    const contents = fakeContents({ '01-a.ipynb': notebook('no heading here'), '02-b.ipynb': notebook('# B') }, ['02-b.ipynb']);
    const panel = new CoursePanel(contents, async () => undefined);
    await panel.refresh();
    await settle();
    const titles = Array.from(panel.node.querySelectorAll('.llm-lab-course-title')).map(t => t.textContent);
    expect(titles).toEqual(['01 a', '02 b']);
  });

  it('says so, and does not throw, when the contents API fails', async () => {
    const panel = new CoursePanel(fakeContents({}, ['']), async () => undefined);
    await expect(panel.refresh()).resolves.toEqual([]);
    expect(panel.node.querySelector('.llm-lab-course-status')!.textContent).toBe('Could not list the course notebooks: 404: root not found');
  });

  it("lists course.json's notebooks with what they teach, minutes and progress, then the others; Reset only on course notebooks", async () => {
    const run = (n: number, of: number) => ({
      cells: Array.from({ length: of }, (_, i) => ({ cell_type: 'code', metadata: {}, execution_count: i < n ? i + 1 : null, outputs: [] }))
    });
    const manifest = {
      notebooks: [
        { file: '02-b.ipynb', title: 'Bee', learn: 'what b teaches', minutes: 8 },
        { file: '01-a.ipynb', title: 'Ay', learn: 'what a teaches', minutes: 3 },
        { file: '03-gone.ipynb', title: 'Gone', learn: 'deleted', minutes: 1 }
      ]
    };
    const contents = fakeContents({ 'course.json': JSON.stringify(manifest), '01-a.ipynb': run(2, 4), '02-b.ipynb': run(0, 3), '09-mine.ipynb': notebook('# Mine') });
    const resets: string[] = [];
    const panel = new CoursePanel(contents, async () => undefined, async path => {
      resets.push(path);
      return { done: true, name: path, backup: `${path}.backup` };
    });
    Widget.attach(panel, document.body);
    const rows = await panel.refresh();
    await settle();
    expect(rows.map(r => r.name)).toEqual(['02-b.ipynb', '01-a.ipynb', '03-gone.ipynb', '09-mine.ipynb']);
    const text = (selector: string) => Array.from(panel.node.querySelectorAll(selector)).map(e => e.textContent);
    expect(text('.llm-lab-course-title')).toEqual(['Bee', 'Ay', 'Gone', 'Mine']);
    expect(text('.llm-lab-course-learn')).toEqual(['what b teaches', 'what a teaches', 'deleted']);
    expect(text('.llm-lab-course-minutes')).toEqual(['8 min', '3 min', '1 min']);
    expect(text('.llm-lab-course-count')).toEqual(['0/3 cells', '2/4 cells', '0/1 cells']);
    expect(panel.node.querySelector<HTMLElement>('[data-path="01-a.ipynb"] .llm-lab-course-bar-fill')!.style.width).toBe('50%');
    expect(text('.llm-lab-course-reset')).toEqual(['Reset', 'Reset', 'Restore']);
    expect(panel.node.querySelector<HTMLButtonElement>('[data-path="03-gone.ipynb"] .llm-lab-course-entry')!.disabled).toBe(true);

    panel.node.querySelector<HTMLButtonElement>('[data-path="01-a.ipynb"] .llm-lab-course-reset')!.click();
    await settle();
    expect(resets).toEqual(['01-a.ipynb']);
    expect(panel.node.querySelector('.llm-lab-course-notice')!.textContent).toBe("01-a.ipynb is the course's original again. Your copy is saved as 01-a.ipynb.backup.");
  });

  it('says what is wrong with a bad course.json and lists the notebooks by name', async () => {
    const contents = fakeContents({ 'course.json': '{"notebooks": [{"file": "01-a.ipynb"}]}', '01-a.ipynb': notebook('# A') });
    const panel = new CoursePanel(contents, async () => undefined);
    await panel.refresh();
    await settle();
    expect(panel.node.querySelector('.llm-lab-course-status')!.textContent).toBe(
      'Could not read the course order: course.json: notebooks[0].title must be a non-empty string, got undefined'
    );
    expect(Array.from(panel.node.querySelectorAll('.llm-lab-course-title')).map(t => t.textContent)).toEqual(['A']);
    expect(panel.node.querySelectorAll('.llm-lab-course-reset').length).toBe(0);
  });

  it('reads titles from markdown headings only', () => {
    expect(notebookTitle(notebook('#NotAHeading', 'text\n### Third level ###'))).toBe('Third level');
    expect(notebookTitle({ cells: 'nonsense' })).toBeNull();
    expect(notebookTitle(null)).toBeNull();
    expect(titleFromFileName('03-self_attention.ipynb')).toBe('03 self attention');
  });
});
