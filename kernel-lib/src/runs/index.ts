/** Records of training runs in MLflow's file store, and the comparison of many runs. */
export { openExperiment, Experiment, Run, RUN_NAME_TAG, STATUS_CODES } from './store';
export type { ParamValue, StartRunOptions } from './store';
export { listRuns, listExperiments, readRun } from './read';
export type { MetricPoint, RunRecord, RunStatus } from './read';
export { checkKey, metricKeyOf } from './names';
export { recordTrainer, RUN_KEYS } from './recordTrainer';
export type { RecordTrainerOptions, RunMemory, TrainerRecorder } from './recordTrainer';
export { comparisonRunOf, runComparisonSpec, showRunComparison, RunDashboard } from './dashboard';
export type { RunComparisonSpecOptions } from './dashboard';
