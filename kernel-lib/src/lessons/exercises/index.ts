/**
 * The course's exercises, registered by id in course order (notebook 2's blocks to notebook 10's
 * GRPO), with hints, hidden solutions and checks (exercise.ts says how they fit together).
 */
export * from './exercise';
export * from './transformer';
export * from './training';
export * from './sft';
export * from './efficient';
export * from './alignment';
