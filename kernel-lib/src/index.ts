/**
 * @llm-lab/kernel: what notebook cells import. Modules follow the course order.
 */
export { tf, useDevice, currentDevice, probeAdapter, describeAdapter, releaseWebgpu, webgpuLost, copyVariablesToHost } from './device';
export type { BackendChoice, BackendName, Device, AdapterInfo } from './device';
export { profile, byProfile } from './profile';
export type { Profile } from './profile';
export { seededRandom, gaussian } from './random';

export { mobyDickChapters, stateOfTheUnionAddresses } from './data/corpus';
export type { Document } from './data/corpus';
export { splitDocuments, ClmBatches, windowsAt, evalWindows } from './data/clm';
export type { TextSplit, ClmBatch } from './data/clm';
export { CharTokenizer } from './tokenizers/char';
export { BpeTokenizer } from './tokenizers/bpe';
export type { BpeTrainOptions } from './tokenizers/bpe';
export { SPECIAL_TOKEN_NAMES, specialTokenText, requireSpecialToken } from './tokenizers/tokenizer';
export type { Tokenizer, SpecialTokenName, SpecialTokens, SpecialTokensWith, SpecialTokenOptions, DecodeOptions } from './tokenizers/tokenizer';

export { Init } from './nn/init';
export { Module, ModuleList, matchesName } from './nn/module';
export type { NamePattern, ParameterCount } from './nn/module';
export { TiedLMHead, tiedLogits } from './nn/heads';
export { Linear } from './nn/linear';
export type { LinearLike } from './nn/linear';
export { Embedding, embeddingLookup, embedInput } from './nn/embedding';
export type { ModelInput } from './nn/embedding';
export { LayerNorm, layerNorm } from './nn/layerNorm';
export { causalMask, causalMaskAfter, paddingMask, scaledDotProductAttention, splitHeads, mergeHeads, CausalSelfAttention } from './nn/attention';
export { MLP, SwiGLU, gelu } from './nn/mlp';
export { Block } from './nn/block';
export { crossEntropy } from './nn/loss';
export { GPT, GPTBackbone, checkGPTConfig } from './models/gpt';
export type { GPTConfig, GPTOutput, KVCache, BackboneOutput, ForwardOptions } from './models/gpt';

export { AdamW } from './train/adamw';
export { learningRateAt } from './train/schedule';
export { clipByGlobalNorm, clipScale, globalNorm } from './train/clip';
export { Trainer, defaultTrainConfig, checkTrainConfig } from './train/trainer';
export type { LoopConfig, StepLog, TrainSummary } from './train/trainer';
export { sequenceLogProbs, maskedNextTokenLoss, maskedTargets } from './train/sequenceLogProbs';
export type { CausalLM, SequenceLogProbs } from './train/sequenceLogProbs';
export { causalLM } from './train/objective';
export type { Objective, Evaluation, TrainData, CausalLMOptions, StepLogger } from './train/objective';

export { generate, generateText, samplingDistribution, sampleFrom, checkSampling } from './generate';
export type { SamplingOptions, GenerateOptions } from './generate';

export { showAttention, attentionSpec, attentionBundle, attentionSvg } from './viz/attention';
export { showHeadView, headViewSpec, headViewBundle, showModelView, modelViewSpec, modelViewBundle, crossAttentionSpec, showCrossAttention } from './viz/headView';
export type { HeadViewOptions, CrossAttentionInput } from './viz/headView';
export { AttentionRecorder, attentionTrainingBundle } from './viz/attentionTraining';
export type { AttentionRecorderOptions } from './viz/attentionTraining';
export { showNeuronView, neuronViewSpec, neuronViewBundle } from './viz/neuronView';
export type { NeuronViewOptions } from './viz/neuronView';
export { newTrainingSpec, addPoint, seriesOf, lastValue, dropAfter, trainingBundle, trainingSvg, trainingText } from './viz/training';
export { display, LiveDisplay, setDisplaySink, bundleOf } from './viz/display';
export type { MimeBundle, DisplaySink } from './viz/display';
export * from './contract';
export { saveGPT, loadGPT, loadWeights } from './checkpoint/gpt';
export { maskTokens, maskingOptions } from './data/mlm';
export { encodeSafetensors, decodeSafetensors } from './checkpoint/safetensors';
export { sinusoidalEncoding, rope } from './nn/positions';
export { RMSNorm, rmsNorm } from './nn/rmsNorm';
export { check, checkBundle } from './check';
export type { CheckResult, CheckCase } from './check';
export { showTokens, tokensBundle, showMerges, mergesBundle } from './viz/tokens';
export { showShapes, shapesTable, shapesBundle } from './viz/shapes';
export { BERT } from './models/bert';
export type { BERTConfig } from './models/bert';
export { showPositions, positionsBundle, similarityByDistance, showSimilarityByDistance, distanceBundle } from './viz/positions';
export { showLines, linesBundle } from './viz/lines';
export type { LinesOptions } from './viz/lines';
export { describe } from './viz/describe';
export { CrossAttention } from './nn/crossAttention';
export { DecoderBlock } from './nn/decoderBlock';
export { Encoder, Decoder } from './nn/encoder';
export { maskedCrossEntropy } from './nn/loss';
export { Seq2Seq, checkSeq2SeqConfig } from './models/seq2seq';
export type { Seq2SeqConfig, Seq2SeqOutput, Seq2SeqGenerateOptions } from './models/seq2seq';
export {
  PAD_ID, BOS_ID, EOS_ID, MASK_ID, SPECIAL_TOKENS, FIRST_ID, Seq2SeqChars, randomStrings, reversalPairs, wordsOf, sentencesOf,
  corruptSpans, denoisingPairs, seq2seqBatch, Seq2SeqBatches
} from './data/seq2seq';
export type { Seq2SeqPair, Seq2SeqBatch, RandomStringOptions, SpanCorruption } from './data/seq2seq';
export { loadBaseModel, BASE_MODEL_DIR } from './checkpoint/base';
export type { BaseRecipe } from './checkpoint/base';
export { InductionBatches, SymbolTokenizer, repeatedText, repeatPositions, rowPositions } from './lessons/induction/data';
export type { InductionDataConfig, InductionBatch, RepeatLayout } from './lessons/induction/data';
export { headScores, scoresFromWeights, copyMeans, strongestHead, InductionRecorder } from './lessons/induction/scores';
export type { HeadScores, InductionScores, InductionHistory, PerHead, BestHead } from './lessons/induction/scores';
export { trainInduction } from './lessons/induction/train';
export type { InductionTrainConfig, InductionRun } from './lessons/induction/train';
export { showInduction, inductionBundle, inductionSvg, inductionText } from './lessons/induction/view';
export { maskedLM, fillInBlanks } from './train/mlmObjective';
export type { MaskedLMOptions, MaskedLMBatch } from './train/mlmObjective';
export { seq2seqObjective } from './train/seq2seqObjective';
export type { Seq2SeqObjectiveOptions } from './train/seq2seqObjective';
export { inductionObjective } from './lessons/induction/objective';
export type { InductionObjectiveOptions } from './lessons/induction/objective';
export { showSampling, compareSampling, samplingBundle, samplingSvg } from './viz/sampling';
export type { Strategy, StrategyResult, SamplingComparison } from './viz/sampling';
export { saveModel, loadModel } from './checkpoint/model';
export type { CourseModel } from './checkpoint/model';
