import { describe, expect, it } from 'vitest';
import { backupName, CourseManifest, mergeCourse, notebookProgress, parseCourseManifest, progressLabel } from '../../extension/src/course-model';
import { resetNotebook, ResetQuestion, ResetSteps } from '../../extension/src/course-reset';

const RESULT = 'application/vnd.llm-lab.exercise.v1+json';

/** A saved exercise result, as a check's output carries it. */
const result = (id: string, passed: boolean) => ({ output_type: 'display_data', metadata: {}, data: { [RESULT]: { kind: 'exercise', version: 1, id, passed }, 'text/plain': 'check' } });

/** A hand-made notebook: markdown, plain code cells (run or not), and two exercises. */
const notebook = {
  nbformat: 4,
  nbformat_minor: 5,
  metadata: {},
  cells: [
    { cell_type: 'markdown', metadata: {}, source: '# Title' },
    { cell_type: 'code', metadata: {}, execution_count: 1, source: 'a', outputs: [] },
    { cell_type: 'code', metadata: {}, execution_count: null, source: 'b', outputs: [] },
    // exercise 1: failed first, then passed (both results in the cell, the last one counts)
    { cell_type: 'code', metadata: { llm_lab: { exercise: 'ex.attention' } }, execution_count: 3, source: 'c', outputs: [result('ex.attention', false), result('ex.attention', true)] },
    // exercise 2: run, failed
    { cell_type: 'code', metadata: { llm_lab: { exercise: 'ex.gelu' } }, execution_count: 4, source: 'd', outputs: [result('ex.gelu', false)] },
    // a result for an id no cell is marked with, and a malformed one: neither counts
    { cell_type: 'code', metadata: {}, execution_count: 5, source: 'e', outputs: [result('ex.other', true), { output_type: 'display_data', data: { [RESULT]: { kind: 'exercise', id: 'ex.gelu', passed: true } } }] },
    { cell_type: 'raw', metadata: {}, source: 'x' }
  ]
};

describe('progress counted from a saved notebook', () => {
  it('counts code cells with an execution count, and exercises whose last saved result passed', () => {
    const progress = notebookProgress(notebook);
    expect(progress).toEqual({ cells: 5, cellsRun: 4, exercises: 2, exercisesPassed: 1 });
    expect(progressLabel(progress)).toBe('4/5 cells · 1/2 exercises');
  });

  it("given the pristine copy, counts only the cells whose run differs from the course's own", () => {
    const shipped = { cells: [
      { id: 'a', cell_type: 'code', metadata: {}, execution_count: 1, outputs: [{ output_type: 'stream', text: 'x' }] },
      { id: 'b', cell_type: 'code', metadata: {}, execution_count: 2, outputs: [] },
      { id: 'c', cell_type: 'code', metadata: {}, execution_count: 3, outputs: [] }
    ] };
    const copy = JSON.parse(JSON.stringify(shipped));
    expect(notebookProgress(copy, shipped).cellsRun).toBe(0); // a fresh copy: nothing run yet
    copy.cells[0].outputs[0].text = ['x']; // the same text as a list of lines (as files hold it)
    expect(notebookProgress(copy, shipped).cellsRun).toBe(0);
    copy.cells[1].execution_count = 1; // the learner ran b
    copy.cells.push({ id: 'd', cell_type: 'code', metadata: {}, execution_count: 2, outputs: [] }); // and a cell of their own
    expect(notebookProgress(copy, shipped).cellsRun).toBe(2);
    expect(notebookProgress(copy).cellsRun).toBe(4); // without the pristine copy, every execution count counts
    expect(notebookProgress(copy, null).cellsRun).toBe(4);
  });

  it('counts a run that printed what the course printed, under the same count, by its execution times', () => {
    const times = (t: string) => ({ execution: { 'iopub.status.busy': t, 'shell.execute_reply': t } });
    const shipped = { cells: [{ id: 'a', cell_type: 'code', metadata: times('2026-12-01T10:00:00Z'), execution_count: 1, outputs: [{ output_type: 'stream', text: 'device: wasm' }] }] };
    const copy = JSON.parse(JSON.stringify(shipped));
    expect(notebookProgress(copy, shipped).cellsRun).toBe(0);
    copy.cells[0].metadata = times('2026-12-03T09:30:00Z'); // the learner ran it: same count, same output, now
    expect(notebookProgress(copy, shipped).cellsRun).toBe(1);
  });

  it('reads a result saved as JSON text, and a later failed result undoes a pass', () => {
    const cells = [
      { cell_type: 'code', metadata: { llm_lab: { exercise: 'a' } }, execution_count: 1, outputs: [{ data: { [RESULT]: JSON.stringify({ kind: 'exercise', version: 1, id: 'a', passed: true }) } }] },
      { cell_type: 'code', metadata: { llm_lab: { exercise: 'b' } }, execution_count: 2, outputs: [result('b', true)] },
      { cell_type: 'code', metadata: {}, execution_count: 3, outputs: [result('b', false)] }
    ];
    expect(notebookProgress({ cells })).toEqual({ cells: 3, cellsRun: 3, exercises: 2, exercisesPassed: 1 });
  });

  it('shows cells only where a notebook has no exercises, and zero for what is not a notebook', () => {
    const cleared = { cells: notebook.cells.slice(0, 3).map(c => ({ ...c, execution_count: null })) };
    expect(progressLabel(notebookProgress(cleared))).toBe('0/2 cells');
    expect(notebookProgress(null)).toEqual({ cells: 0, cellsRun: 0, exercises: 0, exercisesPassed: 0 });
    expect(notebookProgress({ cells: 'x' })).toEqual({ cells: 0, cellsRun: 0, exercises: 0, exercisesPassed: 0 });
  });
});

describe('course manifest', () => {
  const manifest: CourseManifest = parseCourseManifest({
    title: 'LLM Lab',
    notebooks: [
      { file: '02-b.ipynb', title: 'B', learn: 'b things', minutes: 3 },
      { file: '01-a.ipynb', title: 'A', learn: 'a things', minutes: 8 },
      { file: '03-gone.ipynb', title: 'Gone', learn: 'deleted by the learner', minutes: 1 }
    ]
  });
  const listed = ['10-extra.ipynb', '01-a.ipynb', '2-extra.ipynb', '02-b.ipynb'].map(name => ({ name, path: name, lastModified: 't' }));

  it("lists the manifest's notebooks in its order, missing ones flagged, then the others by name", () => {
    const rows = mergeCourse(manifest, listed);
    expect(rows.map(r => [r.name, r.course?.title ?? null, r.missing])).toEqual([
      ['02-b.ipynb', 'B', false],
      ['01-a.ipynb', 'A', false],
      ['03-gone.ipynb', 'Gone', true],
      ['2-extra.ipynb', null, false],
      ['10-extra.ipynb', null, false]
    ]);
    expect(rows[1].course).toEqual({ file: '01-a.ipynb', title: 'A', learn: 'a things', minutes: 8 });
  });

  it('without a manifest lists the notebooks by name', () => {
    expect(mergeCourse(null, listed).map(r => r.name)).toEqual(['01-a.ipynb', '02-b.ipynb', '2-extra.ipynb', '10-extra.ipynb']);
  });

  it('names the wrong field of a bad manifest', () => {
    const entry = { file: '01-a.ipynb', title: 'A', learn: '', minutes: 3 };
    expect(() => parseCourseManifest([])).toThrow('course.json: the file must be an object, got []');
    expect(() => parseCourseManifest({ notebooks: {} })).toThrow('course.json: notebooks must be an array, got {}');
    expect(() => parseCourseManifest({ notebooks: [{ ...entry, minutes: '3' }] })).toThrow('course.json: notebooks[0].minutes must be a number >= 0, got "3"');
    expect(() => parseCourseManifest({ notebooks: [{ ...entry, file: 'sub/01-a.ipynb' }] })).toThrow('notebooks[0].file must be a notebook file name without a folder');
    expect(() => parseCourseManifest({ notebooks: [entry, entry] })).toThrow('notebooks[1].file must be named once, got "01-a.ipynb"');
  });

  it('the committed notebooks/course.json is valid and names every notebook of the folder', async () => {
    const fs = await import('fs');
    const path = await import('path');
    const folder = path.resolve(__dirname, '../../notebooks');
    const committed = parseCourseManifest(JSON.parse(fs.readFileSync(path.join(folder, 'course.json'), 'utf8')));
    const notebooks = fs.readdirSync(folder).filter(f => f.endsWith('.ipynb')).sort();
    expect(committed.notebooks.map(n => n.file)).toEqual(notebooks);
    for (const n of committed.notebooks) expect(n.minutes, n.file).toBeGreaterThan(0);
  });
});

describe('backup names', () => {
  const now = new Date(2026, 11, 2, 17, 42, 30); // local time
  it('adds the local date and minute, and a number when that name is taken', () => {
    expect(backupName('05-fine-tuning.ipynb', now, [])).toBe('05-fine-tuning.backup-2026-12-02T1742.ipynb');
    const taken = ['05-fine-tuning.backup-2026-12-02T1742.ipynb', '05-fine-tuning.backup-2026-12-02T1742-2.ipynb'];
    expect(backupName('05-fine-tuning.ipynb', now, taken)).toBe('05-fine-tuning.backup-2026-12-02T1742-3.ipynb');
  });
});

/** Reset's steps on an in-memory folder, recording what was written in order. */
function fakeSteps(files: Record<string, unknown>, options: { confirm?: boolean; open?: { dirty: boolean; content: unknown } } = {}) {
  const writes: string[] = [];
  const questions: ResetQuestion[] = [];
  let reverted = 0;
  const steps: ResetSteps = {
    listNames: async () => Object.keys(files),
    readNotebook: async path => (path in files ? files[path] : null),
    writeNotebook: async (path, content) => {
      writes.push(path);
      files[path] = content;
    },
    pristine: async name => {
      if (name === 'unknown.ipynb') throw new Error('unknown.ipynb is not a notebook of the course (course.json)');
      return { cells: [], pristine: name };
    },
    openNotebook: () => (options.open ? { dirty: options.open.dirty, content: () => options.open!.content, revert: async () => void reverted++ } : null),
    confirm: async question => {
      questions.push(question);
      return options.confirm ?? true;
    },
    now: () => new Date(2026, 11, 2, 17, 42)
  };
  return { steps, writes, questions, files, reverted: () => reverted };
}

describe('reset to the pristine copy', () => {
  it('writes the backup first, then the pristine copy, and reloads an open editor', async () => {
    const mine = { cells: [], mine: true };
    const fake = fakeSteps({ '05-ft.ipynb': mine, '05-ft.backup-2026-12-02T1742.ipynb': {} }, { open: { dirty: false, content: 'unused' } });
    const outcome = await resetNotebook('05-ft.ipynb', fake.steps);
    expect(outcome).toEqual({ done: true, name: '05-ft.ipynb', backup: '05-ft.backup-2026-12-02T1742-2.ipynb' });
    expect(fake.writes).toEqual(['05-ft.backup-2026-12-02T1742-2.ipynb', '05-ft.ipynb']);
    expect(fake.files['05-ft.backup-2026-12-02T1742-2.ipynb']).toBe(mine);
    expect(fake.files['05-ft.ipynb']).toEqual({ cells: [], pristine: '05-ft.ipynb' });
    expect(fake.files['05-ft.backup-2026-12-02T1742.ipynb']).toEqual({}); // the older backup is untouched
    expect(fake.questions).toEqual([{ name: '05-ft.ipynb', backup: '05-ft.backup-2026-12-02T1742-2.ipynb', unsaved: false }]);
    expect(fake.reverted()).toBe(1);
  });

  it("keeps an open editor's unsaved edits in the backup, and says so when asking", async () => {
    const fake = fakeSteps({ 'a.ipynb': { saved: true } }, { open: { dirty: true, content: { unsaved: true } } });
    await resetNotebook('a.ipynb', fake.steps);
    expect(fake.questions[0].unsaved).toBe(true);
    expect(fake.files['a.backup-2026-12-02T1742.ipynb']).toEqual({ unsaved: true });
  });

  it('writes nothing when the learner cancels or the server has no pristine copy', async () => {
    const cancelled = fakeSteps({ 'a.ipynb': {} }, { confirm: false });
    expect(await resetNotebook('a.ipynb', cancelled.steps)).toEqual({ done: false });
    expect(cancelled.writes).toEqual([]);

    const unknown = fakeSteps({ 'unknown.ipynb': {} });
    await expect(resetNotebook('unknown.ipynb', unknown.steps)).rejects.toThrow('not a notebook of the course');
    expect(unknown.writes).toEqual([]);
    expect(unknown.questions).toEqual([]);
  });

  it('restores a deleted notebook without a backup', async () => {
    const fake = fakeSteps({});
    expect(await resetNotebook('gone.ipynb', fake.steps)).toEqual({ done: true, name: 'gone.ipynb', backup: null });
    expect(fake.questions).toEqual([{ name: 'gone.ipynb', backup: null, unsaved: false }]);
    expect(fake.writes).toEqual(['gone.ipynb']);
  });
});
