/** Parameter-efficient fine-tuning: one config and getPeftModel per method (see peftModel.ts). */
export { getPeftModel, PeftModel } from './peftModel';
export type { TrainableCount } from './peftModel';
export type { PeftConfig, PeftType, LoraConfig, AdapterConfig, IA3Config, PromptTuningConfig, PrefixTuningConfig, BitFitConfig } from './config';
export { LoRALinear } from './lora';
export type { LoRAAdapter } from './lora';
export { BottleneckAdapter } from './adapter';
export { IA3Linear } from './ia3';
export { PromptEmbedding, PrefixEncoder } from './virtualTokens';
export { trainingMemory, isPackedLayer } from './memory';
export type { TrainingMemory, PackedLayer } from './memory';
export { saveAdapter, loadAdapter, readAdapter, ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE } from './save';
export type { SaveAdapterOptions } from './save';
