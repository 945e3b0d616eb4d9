/**
 * The renderer every view kind shares: validate the spec, build its view, or show the error box.
 * A new spec (an update of the same output) replaces the view.
 */
import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { Widget } from '@lumino/widgets';
import { parseSpecData, SpecKind } from '@llm-lab/kernel/contract';
import { errorBox } from './error';

export type RendererClass = new (options: IRenderMime.IRendererOptions) => IRenderMime.IRenderer;

export function specRenderer<S>(kind: SpecKind, validate: (data: unknown) => S, view: (spec: S) => HTMLElement): RendererClass {
  return class extends Widget implements IRenderMime.IRenderer {
    constructor(private readonly options: IRenderMime.IRendererOptions) {
      super();
      this.addClass('llm-lab-output');
    }

    renderModel(model: IRenderMime.IMimeModel): Promise<void> {
      try {
        this.node.replaceChildren(view(validate(parseSpecData(model.data[this.options.mimeType]))));
      } catch (error) {
        this.node.replaceChildren(errorBox(kind, error));
      }
      return Promise.resolve();
    }
  };
}
