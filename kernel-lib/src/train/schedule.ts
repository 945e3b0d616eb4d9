/**
 * Learning-rate schedule: linear warmup from 0 to the peak, then a cosine decay to a floor.
 * Warmup keeps the first noisy updates (random weights, Adam's empty statistics) small.
 */
export interface ScheduleConfig {
  learningRate: number; // peak
  minLearningRate: number; // floor at the last step
  warmupSteps: number;
  totalSteps: number;
}

/** Learning rate for optimizer step `step` (0-based). */
export function learningRateAt(step: number, s: ScheduleConfig): number {
  if (step < s.warmupSteps) return (s.learningRate * (step + 1)) / s.warmupSteps;
  const decaySteps = Math.max(1, s.totalSteps - s.warmupSteps);
  const progress = Math.min(1, (step - s.warmupSteps) / decaySteps);
  return s.minLearningRate + 0.5 * (s.learningRate - s.minLearningRate) * (1 + Math.cos(Math.PI * progress));
}
