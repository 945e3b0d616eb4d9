/**
 * The live training view: a status header, the run's curves (plotly: one subplot per panel of
 * its series) and the latest generated samples. The kernel sends a new spec on the same display
 * up to a few times a second; each one updates the same DOM nodes and the same plot
 * (Plotly.react), and specs that arrive while a draw is in flight are coalesced: only the newest
 * is drawn. A version 1 spec (a notebook saved before named series) is drawn as version 2.
 */
import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import type { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';
import type { PlotlyStatic } from 'plotly.js-dist-min';
import { parseSpecData, TrainingSpec, trainingStatusFacts, validateTrainingSpec } from '@llm-lab/kernel/contract';
import { element } from './dom';
import { errorBox } from './error';
import { readTheme, ThemeColors, watchTheme } from './theme';
import { PLOT_CONFIG, trainingLayout, trainingTraces } from './training-plot';

/** How many samples the view shows, newest first. */
const SAMPLES_SHOWN = 3;

let plotlyModule: Promise<PlotlyStatic> | null = null;

/** plotly.js is ~5 MB: load it the first time a training view is drawn, not with the lab. */
function loadPlotly(): Promise<PlotlyStatic> {
  // The chunk name lets the build skip re-minifying plotly (extension/webpack.config.js).
  plotlyModule ??= import(/* webpackChunkName: "plotly" */ 'plotly.js-dist-min').then(m => m.default);
  return plotlyModule;
}

/** The DOM of one training view; built once, updated in place by every spec. */
class TrainingView {
  readonly node = element('div', 'llm-lab-training');
  private readonly title = element('div', 'llm-lab-title');
  private readonly status = element('div', 'llm-lab-training-status');
  private readonly progress = element('div', 'llm-lab-progress-bar');
  private readonly message = element('div', 'llm-lab-training-message');
  private readonly plot = element('div', 'llm-lab-training-plot');
  private readonly samples = element('div', 'llm-lab-samples');
  private figure: { data: ReturnType<typeof trainingTraces>; layout: ReturnType<typeof trainingLayout> } | null = null;

  constructor(private readonly plotly: PlotlyStatic) {
    const track = element('div', 'llm-lab-progress');
    track.append(this.progress);
    this.node.append(this.title, this.status, track, this.message, this.plot, this.samples);
  }

  async update(spec: TrainingSpec, theme: ThemeColors): Promise<void> {
    this.title.textContent = spec.title;
    this.renderStatus(spec);
    this.renderSamples(spec);
    this.figure = { data: trainingTraces(spec, theme), layout: trainingLayout(spec, theme) };
    await this.drawPlot();
  }

  /**
   * Plotly measures its container: draw only once the view is in the document and laid out.
   * A notebook skips the layout of cells far off screen (CSS content-visibility): there the
   * container is 0 px wide and plotly would compute NaN positions, so wait until it has a width.
   */
  async drawPlot(): Promise<void> {
    if (!this.figure || !this.plot.isConnected) return;
    if (this.plot.clientWidth === 0 && typeof ResizeObserver !== 'undefined') {
      this.drawWhenSized();
      return;
    }
    await this.plotly.react(this.plot, this.figure.data, this.figure.layout, PLOT_CONFIG);
  }

  private sizeObserver: ResizeObserver | null = null;

  private drawWhenSized(): void {
    if (this.sizeObserver) return;
    this.sizeObserver = new ResizeObserver(() => {
      if (this.plot.clientWidth === 0) return;
      this.sizeObserver?.disconnect();
      this.sizeObserver = null;
      void this.drawPlot();
    });
    this.sizeObserver.observe(this.plot);
  }

  resize(): void {
    if (this.plot.isConnected && this.plot.classList.contains('js-plotly-plot')) {
      // Rejects when the output is hidden (collapsed cell); the next resize fixes it.
      this.plotly.Plots.resize(this.plot).catch(() => undefined);
    }
  }

  dispose(): void {
    this.sizeObserver?.disconnect();
    this.plotly.purge(this.plot);
  }

  private renderStatus(spec: TrainingSpec): void {
    const badge = element('span', `llm-lab-status llm-lab-status-${spec.status}`, spec.status);
    const parts: Node[] = [badge];
    for (const fact of trainingStatusFacts(spec)) {
      parts.push(document.createTextNode(' · '), element('span', 'llm-lab-fact', fact));
    }
    this.status.replaceChildren(...parts);
    const done = spec.totalSteps > 0 ? Math.min(1, spec.step / spec.totalSteps) : 0;
    this.progress.style.width = `${(done * 100).toFixed(1)}%`;
    this.progress.className = `llm-lab-progress-bar llm-lab-status-${spec.status}`;
    this.message.textContent = spec.message ?? '';
    this.message.hidden = !spec.message;
  }

  private renderSamples(spec: TrainingSpec): void {
    const latest = spec.samples.slice(-SAMPLES_SHOWN).reverse();
    this.samples.hidden = latest.length === 0;
    if (!latest.length) {
      this.samples.replaceChildren();
      return;
    }
    const heading = element('div', 'llm-lab-samples-title', latest.length === 1 ? 'Latest sample' : 'Latest samples');
    const items = latest.map(sample => {
      const item = element('div', 'llm-lab-sample');
      // Generated text is untrusted: textContent, never HTML.
      item.append(element('div', 'llm-lab-sample-step', `step ${sample.step}`), element('pre', 'llm-lab-sample-text', sample.text));
      return item;
    });
    this.samples.replaceChildren(heading, ...items);
  }
}

export class TrainingRenderer extends Widget implements IRenderMime.IRenderer {
  private view: TrainingView | null = null;
  /** The spec drawn last, redrawn when the theme changes. */
  private spec: TrainingSpec | null = null;
  /** The newest data not drawn yet, and the draw loop in flight. */
  private pending: { data: unknown } | null = null;
  private drawing: Promise<void> | null = null;
  private readonly unwatchTheme: () => void;

  constructor(private readonly options: IRenderMime.IRendererOptions) {
    super();
    this.addClass('llm-lab-output');
    this.unwatchTheme = watchTheme(() => requestAnimationFrame(() => this.redraw()));
  }

  renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    this.pending = { data: model.data[this.options.mimeType] };
    this.drawing ??= this.drainPending();
    return this.drawing;
  }

  override dispose(): void {
    if (this.isDisposed) return;
    this.unwatchTheme();
    this.view?.dispose();
    this.view = null;
    super.dispose();
  }

  protected override onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    // A first spec rendered while detached has no plot yet; the theme is now the real one too.
    this.redraw();
  }

  protected override onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this.view?.resize();
  }

  protected override onResize(msg: Widget.ResizeMessage): void {
    super.onResize(msg);
    this.view?.resize();
  }

  private async drainPending(): Promise<void> {
    while (this.pending && !this.isDisposed) {
      const { data } = this.pending;
      this.pending = null;
      await this.draw(data);
    }
    this.drawing = null;
  }

  private async draw(data: unknown): Promise<void> {
    try {
      const spec = validateTrainingSpec(parseSpecData(data));
      const plotly = await loadPlotly();
      if (this.isDisposed) return;
      if (!this.view) {
        this.view = new TrainingView(plotly);
        this.node.replaceChildren(this.view.node);
      }
      this.spec = spec;
      const view = this.view;
      await view.update(spec, readTheme(this.node));
      // Cleared while plotly was drawing: purge what that draw attached.
      if (this.isDisposed) view.dispose();
    } catch (error) {
      this.showError(error);
    }
  }

  private redraw(): void {
    if (this.isDisposed || !this.spec || this.pending) return;
    this.pending = { data: this.spec };
    this.drawing ??= this.drainPending();
  }

  private showError(error: unknown): void {
    this.view?.dispose();
    this.view = null;
    this.spec = null;
    this.node.replaceChildren(errorBox('training', error));
  }
}
