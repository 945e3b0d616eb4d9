/** Evaluation metrics: plain arrays in, numbers out (no tfjs). */
export { confusionMatrix, classificationReport, classify } from './classification';
export type { ClassScores, ClassificationReport } from './classification';
export { wordTokens, normalizeAnswer, exactMatch, exactMatches, lcsLength, rougeL, perplexity } from './text';
export { bleu, sentenceBleu } from './bleu';
export type { BleuOptions, BleuScore } from './bleu';
export { evaluate, metricValue } from './evaluate';
export type { MetricName, ClassificationInput, GenerationInput, GenerationScores } from './evaluate';
