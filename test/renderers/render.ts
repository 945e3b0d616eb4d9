/** Drive a renderer the way JupyterLab's output area does: create, attach, renderModel. */
import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { Widget } from '@lumino/widgets';
import { rendererFactory } from '../../extension/src/mime';

export function mimeModel(mimeType: string, data: unknown): IRenderMime.IMimeModel {
  return {
    trusted: true,
    data: { [mimeType]: data } as IRenderMime.IMimeModel['data'],
    metadata: {},
    setData: () => undefined
  };
}

/** A renderer from the registered factory, attached to the document like an output. */
export function createRenderer(mimeType: string): IRenderMime.IRenderer {
  const renderer = rendererFactory.createRenderer({ mimeType } as IRenderMime.IRendererOptions);
  Widget.attach(renderer, document.body);
  return renderer;
}

export async function render(mimeType: string, data: unknown): Promise<IRenderMime.IRenderer> {
  const renderer = createRenderer(mimeType);
  await renderer.renderModel(mimeModel(mimeType, data));
  return renderer;
}
