/**
 * Exercises: a task, hints revealed one at a time, a solution kept hidden until asked for, and a
 * check that runs the learner's answer and shows what passed.
 *
 *   await lab.check.learningRate(myLearningRate);   // runs it, shows "Passed" or "Not yet" and a hint
 *   lab.hint('05.learning-rate');                   // the next hint
 *   lab.solution('05.learning-rate');               // asks first; { reveal: true } shows it
 *
 * Every exercise has an id '<notebook>.<name>'. A check result is shown as a MIME bundle with the
 * exercise's id and whether it passed (EXERCISE_MIME_TYPE), which the course panel reads from saved
 * notebooks to show progress (contract/exercise.ts). Nothing a learner's answer does (throw, return the wrong thing) makes
 * a check throw: it becomes a failed case, shown with its message.
 */
import { EXERCISE_MIME_TYPE, ExerciseResultSpec } from '../../contract/exercise';
import { display, MimeBundle } from '../../viz/display';
import { escapeXml } from '../../viz/svg';

/** One thing a check tried: its inputs, and how the answer did on them. */
export interface CheckCase {
  /** What was given, e.g. "q, k, v [2, 4, 5, 8]" or "warmup 10, 200 steps". */
  inputs: string;
  passed: boolean;
  /** Largest |yours - expected|, or null when yours did not run or gave something else. */
  maxError: number | null;
  problem?: string;
}

export interface CheckResult {
  id: string;
  name: string;
  passed: boolean;
  cases: CheckCase[];
  /** The first hint (lab.hint(id) gives the next ones). */
  hint: string;
}

export interface Exercise<A = unknown, C = void> {
  /** '<notebook>.<name>', e.g. '05.learning-rate'. */
  id: string;
  title: string;
  /** The task in a sentence or two. */
  task: string;
  /** From a nudge to almost the answer; lab.hint shows them in order. */
  hints: string[];
  /** A solution as the learner would type it in the notebook (TypeScript, `tf` and `lab` in scope). */
  solution: string;
  /** Run the answer on the exercise's inputs. Errors the answer throws become failed cases. */
  cases(answer: A, context: C): Promise<CheckCase[]>;
}

const registry = new Map<string, Exercise<never, never>>();

/** Add an exercise to the course's list (ids are unique). */
export function defineExercise<A, C = void>(exercise: Exercise<A, C>): Exercise<A, C> {
  if (!/^\d\d\.[a-z0-9-]+$/.test(exercise.id)) throw new Error(`exercise id ${JSON.stringify(exercise.id)} must look like '05.learning-rate'`);
  if (registry.has(exercise.id)) throw new Error(`exercise ${exercise.id} is defined twice`);
  if (exercise.hints.length === 0) throw new Error(`exercise ${exercise.id} needs at least one hint`);
  registry.set(exercise.id, exercise as unknown as Exercise<never, never>);
  return exercise;
}

/** Every exercise id, in course order; with a notebook number ('05'), that notebook's. */
export function exerciseIds(notebook?: string): string[] {
  return [...registry.keys()].filter(id => notebook === undefined || id.startsWith(`${notebook}.`)).sort();
}

export function exerciseById(id: string): Exercise<never, never> {
  const found = registry.get(id);
  if (!found) throw new Error(`no exercise ${JSON.stringify(id)}; the exercises are ${exerciseIds().join(', ')}`);
  return found;
}

/** What a thrown value says, whatever was thrown. */
export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Run the learner's answer on every case of the exercise; never throws. */
export async function runExercise<A, C>(exercise: Exercise<A, C>, answer: A, context: C): Promise<CheckResult> {
  let cases: CheckCase[];
  if (typeof answer !== 'function') {
    cases = [{ inputs: '', passed: false, maxError: null, problem: `pass your function, got ${answer === null ? 'null' : typeof answer}` }];
  } else {
    try {
      cases = await exercise.cases(answer, context);
    } catch (e) {
      cases = [{ inputs: '', passed: false, maxError: null, problem: `threw: ${messageOf(e)}` }];
    }
  }
  return { id: exercise.id, name: exercise.title, passed: cases.length > 0 && cases.every(c => c.passed), cases, hint: exercise.hints[0] };
}

const helpLine = (id: string) => `More help: lab.hint('${id}'), then lab.solution('${id}').`;

export function checkText(r: CheckResult): string {
  const lines = [`${r.passed ? 'PASS' : 'FAIL'} ${r.name}  [${r.id}]`];
  for (const c of r.cases) {
    lines.push(`  ${c.passed ? 'ok  ' : 'fail'} ${c.inputs}${c.maxError !== null ? `  max error ${c.maxError.toExponential(1)}` : ''}${c.problem ? `  ${c.problem}` : ''}`);
  }
  if (!r.passed) lines.push(`  hint: ${r.hint}`, `  ${helpLine(r.id)}`);
  return lines.join('\n');
}

/** An HTML table (every text escaped: error messages can contain anything). */
export function checkHtml(r: CheckResult): string {
  const color = (passed: boolean) => (passed ? '#1a7f37' : '#cf222e');
  const rows = r.cases
    .map(c => `<tr><td style="color:${color(c.passed)}">${c.passed ? '✓' : '✗'}</td><td><code>${escapeXml(c.inputs)}</code></td>` +
      `<td>${c.maxError !== null ? c.maxError.toExponential(1) : ''}</td><td>${escapeXml(c.problem ?? '')}</td></tr>`)
    .join('');
  const help = r.passed ? '' : `<p><b>Hint:</b> ${escapeXml(r.hint)}</p><p>${escapeXml(helpLine(r.id))}</p>`;
  return `<div class="llm-lab-check"><p style="font-weight:bold;color:${color(r.passed)}">${r.passed ? 'Passed' : 'Not yet'}: ${escapeXml(r.name)} <code>${escapeXml(r.id)}</code></p>` +
    `<table><tr><th></th><th>inputs</th><th>max error</th><th></th></tr>${rows}</table>${help}</div>`;
}

export function exerciseResultSpec(r: CheckResult): ExerciseResultSpec {
  return { kind: 'exercise', version: 1, id: r.id, passed: r.passed };
}

/** The result as shown: a table, a text summary, and the id and outcome for the course panel. */
export function checkBundle(r: CheckResult): MimeBundle {
  return { 'text/html': checkHtml(r), 'text/plain': checkText(r), [EXERCISE_MIME_TYPE]: JSON.stringify(exerciseResultSpec(r)) };
}

/** Run the check and show its result. */
export async function showCheck<A, C>(exercise: Exercise<A, C>, answer: A, context: C): Promise<CheckResult> {
  const result = await runExercise(exercise, answer, context);
  display(checkBundle(result));
  return result;
}

// ---- hints and solutions: what a learner has seen, per exercise, for this kernel's lifetime
const hintsSeen = new Map<string, number>();

function noteBundle(title: string, paragraphs: string[], code?: string): MimeBundle {
  const html = `<div class="llm-lab-hint"><p><b>${escapeXml(title)}</b></p>${paragraphs.map(p => `<p>${escapeXml(p)}</p>`).join('')}` +
    `${code === undefined ? '' : `<pre><code>${escapeXml(code)}</code></pre>`}</div>`;
  return { 'text/html': html, 'text/plain': [title, ...paragraphs, ...(code === undefined ? [] : [code])].join('\n') };
}

/** The bundle of the next hint of an exercise (each call reveals one more, then repeats the last). */
export function nextHintBundle(id: string): MimeBundle {
  const exercise = exerciseById(id);
  const n = Math.min((hintsSeen.get(id) ?? 0) + 1, exercise.hints.length);
  hintsSeen.set(id, n);
  const last = n === exercise.hints.length;
  const after = last ? `That was the last hint. lab.solution('${id}') shows a solution.` : `lab.hint('${id}') again for the next one.`;
  return noteBundle(`Hint ${n} of ${exercise.hints.length}: ${exercise.title}`, [exercise.hints[n - 1], after]);
}

/** Show the next hint of an exercise. */
export function hint(id: string): void {
  display(nextHintBundle(id));
}

export interface SolutionOptions {
  /** true: show it. Without it, the first call only says how. */
  reveal?: boolean;
}

/** The bundle lab.solution shows: how to confirm, or with { reveal: true } the solution itself. */
export function solutionBundle(id: string, options: SolutionOptions = {}): MimeBundle {
  const exercise = exerciseById(id);
  if (options.reveal !== true) {
    return noteBundle(`Are you sure? ${exercise.title}`, [
      `A solution read teaches less than one found. Try the hints first: lab.hint('${id}').`,
      `To see it anyway, run lab.solution('${id}', { reveal: true }).`
    ]);
  }
  return noteBundle(`A solution: ${exercise.title}`, [exercise.task], exercise.solution);
}

/** Show how to see the solution, or the solution with { reveal: true }. */
export function solution(id: string, options: SolutionOptions = {}): void {
  display(solutionBundle(id, options));
}

/** Forget which hints were shown (a new start; tests). */
export function resetHints(): void {
  hintsSeen.clear();
}
