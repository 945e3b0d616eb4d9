/**
 * @llm-lab/kernel: what notebook cells import, in the order the course teaches it.
 * (The layers and where each method of post-training goes: docs/ARCHITECTURE.md.)
 */

// ---- 0. where the math runs, and the settings of a notebook run
export { tf, useDevice, currentDevice, probeAdapter, describeAdapter, releaseWebgpu, webgpuLost, copyVariablesToHost } from './device';
export type { BackendChoice, BackendName, Device, AdapterInfo } from './device';
export { profile, byProfile } from './profile';
export type { Profile } from './profile';
export { seededRandom, gaussian, shuffled } from './random';

// ---- 1. text: corpora, tokenizers, training windows
export { mobyDickChapters, stateOfTheUnionAddresses } from './data/corpus';
export type { Document } from './data/corpus';
export { SPECIAL_TOKEN_NAMES, specialTokenText, requireSpecialToken } from './tokenizers/tokenizer';
export type { Tokenizer, SpecialTokenName, SpecialTokens, SpecialTokensWith, SpecialTokenOptions, DecodeOptions, AddedTokens } from './tokenizers/tokenizer';
export { CharTokenizer } from './tokenizers/char';
export { BpeTokenizer, PRE_TOKENIZER_PATTERN } from './tokenizers/bpe';
export type { BpeTrainOptions, BpeOptions, BpeJSON } from './tokenizers/bpe';
export { showTokens, tokensBundle, showMerges, mergesBundle } from './viz/tokens';
export { splitDocuments, ClmBatches, windowsAt, evalWindows } from './data/clm';
export type { TextSplit, ClmBatch } from './data/clm';

// ---- 2. the transformer, one block at a time (nn/): a model is a tree of modules
export { Module, ModuleList, matchesName } from './nn/module';
export type { NamePattern, ParameterCount } from './nn/module';
export { Init } from './nn/init';
export { Linear } from './nn/linear';
export type { LinearLike } from './nn/linear';
export { Embedding, embeddingLookup, embedInput } from './nn/embedding';
export type { ModelInput } from './nn/embedding';
export { sinusoidalEncoding, rope } from './nn/positions';
export { showPositions, positionsBundle, similarityByDistance, showSimilarityByDistance, distanceBundle } from './viz/positions';
export { causalMask, causalMaskAfter, paddingMask, scaledDotProductAttention, splitHeads, mergeHeads, CausalSelfAttention } from './nn/attention';
export { MLP, SwiGLU, gelu } from './nn/mlp';
export { LayerNorm, layerNorm } from './nn/layerNorm';
export { RMSNorm, rmsNorm } from './nn/rmsNorm';
export { Block } from './nn/block';
export { TiedLMHead, tiedLogits } from './nn/heads';
export { crossEntropy, maskedCrossEntropy } from './nn/loss';
export { describe } from './viz/describe';
export { showShapes, shapesTable, shapesBundle } from './viz/shapes';
export { check, checkBundle, checkHtml, checkText } from './check';
export type { CheckResult, CheckCase } from './check';
export { hint, solution, exerciseIds, exerciseById, runExercise } from './lessons/exercises';
export type { Exercise, SolutionOptions } from './lessons/exercises';

// ---- 3. the GPT, training it, and sampling from it
export { GPT, GPTBackbone, checkGPTConfig } from './models/gpt';
export type { GPTConfig, GPTOutput, KVCache, BackboneOutput, ForwardOptions, VirtualTokens } from './models/gpt';
export { causalLM } from './train/objective';
export type { Objective, Evaluation, TrainData, CausalLMOptions, StepLogger } from './train/objective';
export { Trainer, defaultTrainConfig, checkTrainConfig } from './train/trainer';
export type { LoopConfig, StepLog, TrainSummary } from './train/trainer';
export { AdamW } from './train/adamw';
export { learningRateAt } from './train/schedule';
export { clipByGlobalNorm, clipScale, globalNorm } from './train/clip';
export { generate, generateText, samplingDistribution, sampleFrom, checkSampling } from './generate';
export type { SamplingOptions, GenerateOptions } from './generate';
export { InterruptedError, watchInterrupt } from './interrupt';
export type { InterruptWatch } from './interrupt';
export { showSampling, compareSampling, samplingBundle, samplingSvg } from './viz/sampling';
export type { Strategy, StrategyResult, SamplingComparison } from './viz/sampling';

// ---- 4. self-attention, seen (views), and the induction lesson
export { showAttention, attentionSpec, attentionBundle, attentionSvg } from './viz/attention';
export { showHeadView, headViewSpec, headViewBundle, showModelView, modelViewSpec, modelViewBundle, crossAttentionSpec, showCrossAttention } from './viz/headView';
export type { HeadViewOptions, CrossAttentionInput } from './viz/headView';
export { AttentionRecorder, attentionTrainingBundle } from './viz/attentionTraining';
export type { AttentionRecorderOptions } from './viz/attentionTraining';
export { showNeuronView, neuronViewSpec, neuronViewBundle } from './viz/neuronView';
export type { NeuronViewOptions } from './viz/neuronView';
export { InductionBatches, SymbolTokenizer, repeatedText, repeatPositions, rowPositions } from './lessons/induction/data';
export type { InductionDataConfig, InductionBatch, RepeatLayout } from './lessons/induction/data';
export { headScores, scoresFromWeights, copyMeans, strongestHead, InductionRecorder } from './lessons/induction/scores';
export type { HeadScores, InductionScores, InductionHistory, PerHead, BestHead } from './lessons/induction/scores';
export { inductionObjective } from './lessons/induction/objective';
export type { InductionObjectiveOptions } from './lessons/induction/objective';
export { trainInduction } from './lessons/induction/train';
export type { InductionTrainConfig, InductionRun } from './lessons/induction/train';
export { showInduction, inductionBundle, inductionSvg, inductionText } from './lessons/induction/view';

// ---- 5. pretraining three ways: masked LM (BERT), seq2seq (encoder-decoder)
export { maskTokens, maskingOptions } from './data/mlm';
export { Encoder, Decoder } from './nn/encoder';
export { BERT } from './models/bert';
export type { BERTConfig } from './models/bert';
export { maskedLM, fillInBlanks } from './train/mlmObjective';
export type { MaskedLMOptions, MaskedLMBatch } from './train/mlmObjective';
export {
  PAD_ID, BOS_ID, EOS_ID, MASK_ID, SPECIAL_TOKENS, FIRST_ID, Seq2SeqChars, randomStrings, reversalPairs, wordsOf, sentencesOf,
  corruptSpans, denoisingPairs, seq2seqBatch, Seq2SeqBatches
} from './data/seq2seq';
export type { Seq2SeqPair, Seq2SeqBatch, RandomStringOptions, SpanCorruption } from './data/seq2seq';
export { CrossAttention } from './nn/crossAttention';
export { DecoderBlock } from './nn/decoderBlock';
export { Seq2Seq, checkSeq2SeqConfig } from './models/seq2seq';
export type { Seq2SeqConfig, Seq2SeqOutput, Seq2SeqGenerateOptions } from './models/seq2seq';
export { seq2seqObjective } from './train/seq2seqObjective';
export type { Seq2SeqObjectiveOptions } from './train/seq2seqObjective';
export { showLines, linesBundle } from './viz/lines';
export type { LinesOptions } from './viz/lines';

// ---- 6. checkpoints and the course base model (what post-training starts from)
export { encodeSafetensors, decodeSafetensors } from './checkpoint/safetensors';
export { saveGPT, loadGPT, loadWeights } from './checkpoint/gpt';
export { saveModel, loadModel } from './checkpoint/model';
export type { CourseModel } from './checkpoint/model';
export { loadBaseModel, BASE_MODEL_DIR } from './checkpoint/base';
export type { BaseRecipe } from './checkpoint/base';

// ---- 7. post-training's building blocks: scoring sequences under a causal LM
export { sequenceLogProbs, maskedNextTokenLoss, maskedTargets } from './train/sequenceLogProbs';
export type { CausalLM, SequenceLogProbs } from './train/sequenceLogProbs';

// ---- 8. fine-tuning: transfer learning (a new head, frozen or unfrozen layers, their own rates), SFT, evaluation
export { Dropout, MaskStream, modelDropout, checkDropoutConfig } from './nn/dropout';
export type { DropoutConfig } from './nn/dropout';
export { ClassificationHead, POOLINGS } from './nn/heads';
export type { Pooling } from './nn/heads';
export { GPTForSequenceClassification } from './models/gptClassifier';
export type { ClassifierConfig } from './models/gptClassifier';
export { resolveParamGroups, layerGroups, discriminativeLearningRates } from './train/paramGroups';
export type { ParamGroup, ParamSettings } from './train/paramGroups';
export { GradualUnfreezing } from './train/unfreezing';
export type { GradualUnfreezingConfig } from './train/unfreezing';
export { EarlyStopping } from './train/earlyStopping';
export type { EarlyStoppingConfig } from './train/earlyStopping';
export { speakerTask } from './data/speakers';
export type { SpeakerTask, SpeakerPassage } from './data/speakers';
export { languageTask, LANGUAGE_LISTS } from './data/languages';
export type { Language, LanguageTask, LanguageExample } from './data/languages';
export { labelledExamples, classBatch, predictClasses, classificationReportOf, classificationObjective } from './finetune/classification';
export type { LabelledExample, ClassBatch, ClassificationOptions } from './finetune/classification';
export { randomDeletion, randomSwap, augmentExamples } from './data/augment';
export type { AugmentOptions } from './data/augment';
export { resizeTokenEmbeddings } from './finetune/resize';
export type { ResizeOptions } from './finetune/resize';
export { applyChatTemplate, tokenizeChat, DEFAULT_CHAT_TEMPLATE, PLAIN_CHAT_TEMPLATE, CHAT_TOKENS } from './finetune/chatTemplate';
export type { ChatMessage, ApplyChatTemplateOptions, TokenizeChatOptions } from './finetune/chatTemplate';
export { loadGPTWithTokenizer } from './checkpoint/gpt';
export { saveClassifier, loadClassifier } from './checkpoint/classifier';
export { loadTokenizer, tokenizerConfig, tokenizerFiles, TOKENIZER_CONFIG_FILE } from './checkpoint/tokenizer';
export { hfTokenizerJson, hfVocab, hfMerges, mergesText, tokenizerFromHfJson, tokenizerFromVocabAndMerges, byteLevelText, BYTE_CHARS, TOKENIZER_JSON_FILE, VOCAB_FILE, MERGES_FILE } from './checkpoint/hfTokenizer';
export type { HfAddedToken, HfTokenizerExtras } from './checkpoint/hfTokenizer';
export { loadHfGPT, loadHfTokenizer, gptConfigFromHf, labWeights } from './checkpoint/hfFolder';
export { instructionDataset, checkHeldOut, TASK_NAMES } from './data/instructions';
export type { InstructionExample, InstructionDataset, InstructionDatasetOptions, TaskName, EntityKind, Split, EntitySplit } from './data/instructions';
export { sftObjective, sftBatch, generateAnswers } from './finetune/sft';
export type { SftOptions, SftBatch, TokenizedExample, GenerateAnswersOptions } from './finetune/sft';
export { confusionMatrix, classificationReport, classify, exactMatch, exactMatches, normalizeAnswer, bleu, sentenceBleu, rougeL, lcsLength, perplexity, wordTokens, evaluate, metricValue } from './eval';
export type { ClassScores, ClassificationReport, BleuOptions, BleuScore, MetricName, ClassificationInput, GenerationInput, GenerationScores } from './eval';
export { classificationView, classificationBundle, showClassification } from './viz/classification';
export type { ClassificationViewOptions } from './viz/classification';
export { tokenMaskView, tokenMaskBundle, showTokenMask } from './viz/tokenMask';
export type { TokenMaskInput, TokenMaskOptions } from './viz/tokenMask';
export { compareView, compareBundle, showCompare } from './viz/compare';
export type { CompareInput, CompareOptions } from './viz/compare';

// ---- 9. parameter-efficient fine-tuning (peft/), quantization (quant/), and a record of every run (runs/)
export * from './peft';
export * from './quant';
export * from './runs';
export { peftDiagramSpec, showPeftDiagram, showPeftDiagrams, peftDiagramBundle, peftDiagramSvg, peftDiagramText } from './viz/peftDiagram';
export type { PeftDiagramInput, PeftDiagramOptions } from './viz/peftDiagram';
export {
  quantHistogramSpec, showQuantHistogram, quantErrorSpec, showQuantError, quantOutliersSpec, showQuantOutliers, quantTradeoffSpec, showQuantTradeoff,
  quantHistogramBundle, quantErrorBundle, quantOutliersBundle, quantTradeoffBundle, quantHistogramText, quantErrorText, quantOutliersText, quantTradeoffText
} from './viz/quantViews';
export type { QuantHistogramInput, QuantOutliersInput, QuantTradeoffInput, ViewOptions as QuantViewOptions } from './viz/quantViews';
export { runComparisonView, runComparisonSvg, runComparisonText, runComparisonBundle, showRunComparisonView } from './viz/runComparison';

// ---- 10. alignment: preferences without human labellers, a reward model, DPO, PPO, GRPO (align/), and a bias probe
export * from './align';
export { sentimentScore, sentimentScorer, sentimentTokens, lexiconEntries, lexiconStats, LEXICONS } from './data/sentiment';
export type { Lexicon, SentimentScore, TextScorer } from './data/sentiment';
export { positivityPrompts, labelPairs, checkPreferencePairs } from './data/preferences';
export type { PreferencePair, PairScorer, LabelReport, PromptSplit, PositivityPromptOptions } from './data/preferences';
export { checkableTasks, verify, parseCheckablePrompt, completionAnswer, CHECKABLE_TASKS, CHECKABLE_TEMPLATES } from './data/checkable';
export type { CheckableTask, CheckableExample, CheckableOptions, CheckableDataset } from './data/checkable';
export { inContextSequences, accuracyByShots, describeShots, isHeldOutCode, inContextTokenId, IN_CONTEXT_FAMILIES, IN_CONTEXT_SYMBOLS, IN_CONTEXT_TOKENS, HELD_OUT_EVERY } from './data/incontext';
export type { InContextFamily, InContextSequence, InContextOptions, ShotAccuracy } from './data/incontext';
export { biasNames, biasProbePrompts, continuationsByGroup, sentimentGap, describeGap, BIAS_TEMPLATES, BIAS_PROBE_LIMITS } from './eval/bias';
export type { NameGroup, BiasNames, BiasPrompt, SentimentGap } from './eval/bias';
export {
  alignPipelineSpec, showAlignPipeline, rewardScatterSpec, showRewardScatter, grpoGroupsSpec, showGrpoGroups, rewardKlSpec, showRewardKl, rlSamplesSpec, showRlSamples,
  alignPipelineBundle, rewardScatterBundle, grpoGroupsBundle, rewardKlBundle, rlSamplesBundle
} from './viz/alignViews';
export type { AlignPipelineInput, RewardScatterInput, GrpoGroupsInput, RewardKlInput, RlSamplesInput } from './viz/alignViews';

// ---- views: the display transport, the training view, and the contract with the extension
export { display, LiveDisplay, setDisplaySink, bundleOf } from './viz/display';
export type { MimeBundle, DisplaySink } from './viz/display';
export { newTrainingSpec, addPoint, seriesOf, lastValue, dropAfter, trainingBundle, trainingSvg, trainingText } from './viz/training';
export * from './contract';
