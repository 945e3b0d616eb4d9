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
      return { name: path, path, type: 'notebook', content: files[path] };
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

  it('reads titles from markdown headings only', () => {
    expect(notebookTitle(notebook('#NotAHeading', 'text\n### Third level ###'))).toBe('Third level');
    expect(notebookTitle({ cells: 'nonsense' })).toBeNull();
    expect(notebookTitle(null)).toBeNull();
    expect(titleFromFileName('03-self_attention.ipynb')).toBe('03 self attention');
  });
});
