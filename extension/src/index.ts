/**
 * @llm-lab/jupyterlab: JupyterLab loads `mime.ts` (renderers) and `course.ts` (course UI) by the
 * paths in package.json's `jupyterlab` field. This entry re-exports both, and the renderers for
 * code that draws a spec outside JupyterLab (the dev harness).
 */
export { default as mimeExtension, rendererFactory, ATTENTION_MIME_TYPE, TRAINING_MIME_TYPE } from './mime';
export { default as coursePlugin } from './course';
export { AttentionRenderer } from './renderers/attention';
export { TrainingRenderer } from './renderers/training';
