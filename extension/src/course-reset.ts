/**
 * Reset a course notebook to its pristine copy without losing the learner's own: ask first, save
 * the learner's current notebook as a backup next to it (a new file, never overwriting one), then
 * write the pristine copy over the notebook and reload it where it is open. The steps that touch
 * the lab (the dialog, the server, an open editor) come in as functions, so the order is tested
 * on its own.
 */
import { backupName } from './course-model';

/** An open editor of the notebook: JupyterLab's document context, reduced to what reset needs. */
export interface OpenNotebook {
  /** Edits not saved to the file yet. */
  readonly dirty: boolean;
  /** The notebook as the editor holds it (nbformat JSON), unsaved edits included. */
  content(): unknown;
  /** Reload the notebook from its file, dropping the editor's state. */
  revert(): Promise<void>;
}

export interface ResetSteps {
  /** The file names in a folder ("" is the server root), to pick a free backup name. */
  listNames(folder: string): Promise<string[]>;
  /** The saved notebook, or null when there is no file (it was deleted). */
  readNotebook(path: string): Promise<unknown | null>;
  writeNotebook(path: string, content: unknown): Promise<void>;
  /** The course's pristine copy of a notebook, by file name (the server's pristine endpoint). */
  pristine(name: string): Promise<unknown>;
  /** The notebook's open editor, if any. */
  openNotebook(path: string): OpenNotebook | null;
  /** Ask before anything is written; resolves true to go on. */
  confirm(question: ResetQuestion): Promise<boolean>;
  now(): Date;
}

/** What the dialog tells the learner before they choose. */
export interface ResetQuestion {
  name: string;
  /** The backup file the current notebook will be saved as; null when there is nothing to keep. */
  backup: string | null;
  /** The notebook is open with edits that are not saved: they go into the backup. */
  unsaved: boolean;
}

export type ResetOutcome =
  | { done: false }
  | { done: true; name: string; backup: string | null };

/** The folder part of a path ("" at the server root) and its file name. */
function splitPath(path: string): { folder: string; name: string } {
  const slash = path.lastIndexOf('/');
  return { folder: slash < 0 ? '' : path.slice(0, slash + 1), name: path.slice(slash + 1) };
}

/**
 * Reset `path` to the pristine copy. Nothing is written unless the pristine copy could be fetched
 * and the learner confirms; the notebook is overwritten only after its backup was saved.
 */
export async function resetNotebook(path: string, steps: ResetSteps): Promise<ResetOutcome> {
  const { folder, name } = splitPath(path);
  // First, so that a server without pristine copies fails before the learner is asked anything.
  const pristine = await steps.pristine(name);
  const open = steps.openNotebook(path);
  const saved = await steps.readNotebook(path);
  // The editor's copy when it has unsaved edits: those are the learner's latest work.
  const current = open?.dirty ? open.content() : saved;
  const backup = current === null ? null : backupName(name, steps.now(), await steps.listNames(folder.replace(/\/$/, '')));
  if (!(await steps.confirm({ name, backup, unsaved: !!open?.dirty }))) return { done: false };

  if (backup !== null) await steps.writeNotebook(folder + backup, current);
  await steps.writeNotebook(path, pristine);
  await open?.revert();
  return { done: true, name, backup: backup === null ? null : folder + backup };
}
