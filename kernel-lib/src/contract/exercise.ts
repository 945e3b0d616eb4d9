/**
 * An exercise's result as a notebook saves it: a passed or failed check writes one output whose
 * bundle carries this spec under EXERCISE_MIME_TYPE. The exercise cell itself is marked in its
 * cell metadata as `{"llm_lab": {"exercise": "<id>"}}`, so a notebook file alone tells how many
 * exercises it has and which of them passed (the course panel counts them from the saved file).
 */
import { bool, fail, nonEmptyStr, obj } from './check';

export const EXERCISE_MIME_TYPE = 'application/vnd.llm-lab.exercise.v1+json';

export interface ExerciseResultSpec {
  kind: 'exercise';
  version: 1;
  /** The exercise's id, the same as in its cell's metadata. */
  id: string;
  passed: boolean;
}

/** The spec itself when it matches ExerciseResultSpec; a SpecError naming the field otherwise. */
export function validateExerciseResultSpec(value: unknown): ExerciseResultSpec {
  const o = obj(value, 'exercise');
  if (o.kind !== 'exercise') fail('kind', '"exercise"', o.kind);
  if (o.version !== 1) fail('version', '1', o.version);
  nonEmptyStr(o.id, 'id');
  bool(o.passed, 'passed');
  return o as unknown as ExerciseResultSpec;
}

/** The exercise id a cell's metadata marks it with (`metadata.llm_lab.exercise`), or null. */
export function exerciseIdOfCell(metadata: unknown): string | null {
  const llmLab = (metadata as { llm_lab?: { exercise?: unknown } } | null | undefined)?.llm_lab;
  const id = llmLab?.exercise;
  return typeof id === 'string' && id !== '' ? id : null;
}
