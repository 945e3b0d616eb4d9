import { describe, expect, it } from 'vitest';
import { EXERCISE_MIME_TYPE, exerciseIdOfCell, validateExerciseResultSpec } from '../../kernel-lib/src/contract/exercise';

describe('exercise result spec', () => {
  it('accepts a result as a check saves it and returns it unchanged', () => {
    const spec = { kind: 'exercise', version: 1, id: '02.attention', passed: true };
    expect(validateExerciseResultSpec(spec)).toBe(spec);
    expect(EXERCISE_MIME_TYPE).toBe('application/vnd.llm-lab.exercise.v1+json');
  });

  it('names the wrong field and its value', () => {
    const ok = { kind: 'exercise', version: 1, id: 'a', passed: false };
    expect(() => validateExerciseResultSpec({ ...ok, kind: 'training' })).toThrow('kind must be "exercise", got "training"');
    expect(() => validateExerciseResultSpec({ ...ok, version: 2 })).toThrow('version must be 1, got 2');
    expect(() => validateExerciseResultSpec({ ...ok, id: '' })).toThrow('id must be a non-empty string, got ""');
    expect(() => validateExerciseResultSpec({ ...ok, passed: 'yes' })).toThrow('passed must be a boolean, got "yes"');
    expect(() => validateExerciseResultSpec([ok])).toThrow('exercise must be an object');
  });

  it('reads the exercise id from a cell metadata, and null from any other cell', () => {
    expect(exerciseIdOfCell({ llm_lab: { exercise: '04.top-k' }, tags: [] })).toBe('04.top-k');
    expect(exerciseIdOfCell({ llm_lab: { exercise: '' } })).toBeNull();
    expect(exerciseIdOfCell({ llm_lab: { exercise: 3 } })).toBeNull();
    expect(exerciseIdOfCell({ llm_lab: {} })).toBeNull();
    expect(exerciseIdOfCell({})).toBeNull();
    expect(exerciseIdOfCell(undefined)).toBeNull();
  });
});
