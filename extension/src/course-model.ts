/**
 * What the course panel shows, as pure functions of the files it reads: the course manifest
 * (notebooks/course.json) merged with the notebooks in the folder, and a learner's progress
 * counted from their own saved notebook (cells run, exercises passed). No DOM, no server.
 */
import { EXERCISE_MIME_TYPE, exerciseIdOfCell, validateExerciseResultSpec } from '@llm-lab/kernel/contract';

/** The manifest's name at the server root, next to the notebooks. */
export const COURSE_MANIFEST = 'course.json';

/** One notebook of the course as course.json describes it. */
export interface CourseManifestEntry {
  file: string;
  title: string;
  /** One line: what the notebook teaches. */
  learn: string;
  /** Minutes of compute in the `class` profile. */
  minutes: number;
}

export interface CourseManifest {
  title?: string;
  notebooks: CourseManifestEntry[];
}

/** A notebook file in the folder the panel lists. */
export interface CourseNotebook {
  name: string;
  path: string;
  /** Changes when the file does: the key of what was read from it. */
  lastModified: string;
}

/** One row of the panel: a course notebook (from the manifest) or another notebook of the folder. */
export interface CourseEntry {
  name: string;
  path: string;
  lastModified: string;
  /** The manifest's description; absent for notebooks the manifest does not name. */
  course?: CourseManifestEntry;
  /** Named by the manifest but not in the folder (deleted or renamed): it can be restored. */
  missing: boolean;
}

/** The manifest when `value` is one; an Error naming the bad field and its value otherwise. */
export function parseCourseManifest(value: unknown): CourseManifest {
  const bad = (path: string, expected: string, got: unknown): never => {
    throw new Error(`${COURSE_MANIFEST}: ${path} must be ${expected}, got ${JSON.stringify(got)}`);
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) bad('the file', 'an object', value);
  const { title, notebooks } = value as { title?: unknown; notebooks?: unknown };
  if (title !== undefined && typeof title !== 'string') bad('title', 'a string', title);
  if (!Array.isArray(notebooks)) bad('notebooks', 'an array', notebooks);
  const seen = new Set<string>();
  const entries = (notebooks as unknown[]).map((item, i) => {
    const at = `notebooks[${i}]`;
    if (typeof item !== 'object' || item === null) bad(at, 'an object', item);
    const { file, title, learn, minutes } = item as Record<string, unknown>;
    if (typeof file !== 'string' || !/^[^/\\]+\.ipynb$/.test(file)) bad(`${at}.file`, 'a notebook file name without a folder', file);
    if (seen.has(file as string)) bad(`${at}.file`, 'named once', file);
    seen.add(file as string);
    if (typeof title !== 'string' || !title) bad(`${at}.title`, 'a non-empty string', title);
    if (typeof learn !== 'string') bad(`${at}.learn`, 'a string', learn);
    if (typeof minutes !== 'number' || !Number.isFinite(minutes) || minutes < 0) bad(`${at}.minutes`, 'a number >= 0', minutes);
    return { file, title, learn, minutes } as CourseManifestEntry;
  });
  return { ...(title === undefined ? {} : { title: title as string }), notebooks: entries };
}

/**
 * The panel's rows: the manifest's notebooks in its order (those missing from the folder
 * included, flagged), then the folder's other notebooks by name, numbers in numeric order.
 */
export function mergeCourse(manifest: CourseManifest | null, listed: CourseNotebook[]): CourseEntry[] {
  const byName = new Map(listed.map(nb => [nb.name, nb]));
  const inCourse = (manifest?.notebooks ?? []).map(course => {
    const nb = byName.get(course.file);
    return { name: course.file, path: nb?.path ?? course.file, lastModified: nb?.lastModified ?? '', course, missing: !nb };
  });
  const named = new Set(inCourse.map(e => e.name));
  const others = listed
    .filter(nb => !named.has(nb.name))
    .sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }))
    .map(nb => ({ ...nb, missing: false }));
  return [...inCourse, ...others];
}

/** How far a learner got in one notebook, as its saved file tells. */
export interface NotebookProgress {
  /** Code cells, and those with an execution count (run since the outputs were last cleared). */
  cells: number;
  cellsRun: number;
  /** Cells marked as exercises, and those whose latest saved check passed. */
  exercises: number;
  exercisesPassed: number;
}

interface SavedCell {
  cell_type?: unknown;
  execution_count?: unknown;
  metadata?: unknown;
  outputs?: unknown;
}

/** The exercise results a cell's saved outputs carry, in order; malformed ones are skipped. */
function exerciseResults(cell: SavedCell): { id: string; passed: boolean }[] {
  if (!Array.isArray(cell.outputs)) return [];
  return cell.outputs.flatMap(output => {
    let data = (output as { data?: Record<string, unknown> } | null)?.data?.[EXERCISE_MIME_TYPE];
    if (data === undefined) return [];
    try {
      if (typeof data === 'string') data = JSON.parse(data); // nbformat allows JSON as text too
      return [validateExerciseResultSpec(data)];
    } catch {
      return [];
    }
  });
}

/**
 * A saved cell's run: its execution count, outputs and execution times (metadata.execution, which
 * the lab records: see the lab host's settings), as JSON text. The times tell a learner's run from
 * the course's even where both printed the same thing under the same count (the first cell, say).
 * nbformat lets a text be a list of lines or one string (a file holds lists, the contents API gives
 * strings): lists of strings are joined, so both forms of the same run compare equal.
 */
function runOf(cell: SavedCell): string {
  const joined = (_: string, v: unknown) => (Array.isArray(v) && v.length > 0 && v.every(x => typeof x === 'string') ? v.join('') : v);
  const times = (cell.metadata as { execution?: unknown } | null)?.execution ?? null;
  return JSON.stringify([cell.execution_count ?? null, cell.outputs ?? [], times], joined);
}

/** The runs of the pristine copy's code cells, by cell id. */
function pristineRuns(pristine: unknown): Map<string, string> {
  const runs = new Map<string, string>();
  const cells = (pristine as { cells?: unknown } | null)?.cells;
  if (!Array.isArray(cells)) return runs;
  for (const cell of cells as (SavedCell & { id?: unknown })[]) {
    if (cell?.cell_type === 'code' && typeof cell.id === 'string') runs.set(cell.id, runOf(cell));
  }
  return runs;
}

/**
 * Count cells run and exercises passed in a saved notebook (nbformat 4 JSON). An exercise is
 * passed when the last result saved for its id, in the order of the notebook, says so; results
 * for ids no cell is marked with do not count.
 *
 * The course's notebooks come with the outputs of a full run, execution counts included. Given the
 * pristine copy, a cell counts as run only where the learner's file differs from it (another
 * execution count, other outputs or other execution times), so a fresh copy shows 0 cells run,
 * not all of them.
 */
export function notebookProgress(notebook: unknown, pristine?: unknown): NotebookProgress {
  const cells = (notebook as { cells?: unknown } | null)?.cells;
  const progress: NotebookProgress = { cells: 0, cellsRun: 0, exercises: 0, exercisesPassed: 0 };
  if (!Array.isArray(cells)) return progress;
  const exerciseIds = new Set<string>();
  const lastResult = new Map<string, boolean>();
  const original = pristineRuns(pristine);
  for (const cell of cells as (SavedCell & { id?: unknown })[]) {
    if (cell?.cell_type !== 'code') continue;
    progress.cells++;
    const asShipped = typeof cell.id === 'string' && original.get(cell.id) === runOf(cell);
    if (typeof cell.execution_count === 'number' && !asShipped) progress.cellsRun++;
    const id = exerciseIdOfCell(cell.metadata);
    if (id !== null) exerciseIds.add(id);
    for (const result of exerciseResults(cell)) lastResult.set(result.id, result.passed);
  }
  progress.exercises = exerciseIds.size;
  progress.exercisesPassed = [...exerciseIds].filter(id => lastResult.get(id) === true).length;
  return progress;
}

/** "12/30 cells · 1/2 exercises" (the exercises only where the notebook has some). */
export function progressLabel(p: NotebookProgress): string {
  const cells = `${p.cellsRun}/${p.cells} cells`;
  return p.exercises ? `${cells} · ${p.exercisesPassed}/${p.exercises} exercises` : cells;
}

/** "2026-12-02T1742": local time to the minute, with no character a file name may not hold. */
function stamp(now: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${two(now.getMonth() + 1)}-${two(now.getDate())}T${two(now.getHours())}${two(now.getMinutes())}`;
}

/**
 * Where the backup of `name` goes: "05-fine-tuning.backup-2026-12-02T1742.ipynb", or with -2, -3,
 * ... added when a file of that name is already in the folder (a backup never overwrites).
 */
export function backupName(name: string, now: Date, taken: Iterable<string>): string {
  const existing = new Set(taken);
  const base = `${name.replace(/\.ipynb$/i, '')}.backup-${stamp(now)}`;
  for (let n = 1; ; n++) {
    const candidate = `${base}${n === 1 ? '' : `-${n}`}.ipynb`;
    if (!existing.has(candidate)) return candidate;
  }
}
