/**
 * @llm-lab/kernel/contract: what the kernel and the JupyterLab extension agree on, importable
 * without tfjs, Dawn (webgpu) or d3: the view specs and their validators, the formatting and
 * colors both sides show, and the neuron view's arithmetic.
 */
export * from './spec';
export * from './limits';
export * from './format';
export * from './palette';
export * from './neuronMath';
export * from './peft';
export * from './peftLayout';
export * from './quant';
export * from './align';
export * from './alignLayout';
export * from './exercise';
