/**
 * The run comparison: a sortable table of runs (click a column's header), each row with bars on
 * a shared scale per column: the share of parameters that train (log scale), memory by part
 * (stacked), time per step, each final metric (the best one starred); and the runs' curves drawn
 * over each other (plotly), a colour per run, the table's swatches being the legend. Point at a
 * bar to read its numbers. A live dashboard sends new specs to the same output: the view updates
 * in place and keeps the chosen order and curve.
 */
import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { Widget } from '@lumino/widgets';
import type { PlotlyStatic } from 'plotly.js-dist-min';
import {
  bestRun,
  formatBytes,
  formatPercent,
  formatStepMs,
  formatValue,
  MEMORY_PARTS,
  memoryTitle,
  memoryTotal,
  metricTitle,
  paramsTitle,
  parseSpecData,
  RunComparisonRun,
  RunComparisonSpec,
  runColor,
  shareBarFraction,
  stepTimeTitle,
  trainableShare,
  validateRunComparisonSpec
} from '@llm-lab/kernel/contract';
import { element } from './dom';
import { errorBox } from './error';
import { runCurveLayout, runCurveTraces } from './run-comparison-plot';
import { readTheme, watchTheme } from './theme';

const HINT = 'Point at a bar to read its numbers; click a column to sort.';

let plotlyModule: Promise<PlotlyStatic> | null = null;
function loadPlotly(): Promise<PlotlyStatic> {
  plotlyModule ??= import(/* webpackChunkName: "plotly" */ 'plotly.js-dist-min').then(m => m.default);
  return plotlyModule;
}

/** A column of the table: its header, how it sorts, and its cell. */
interface Column {
  title: string;
  key: (r: RunComparisonRun, i: number) => number | string | null;
  cell: (r: RunComparisonRun, i: number, td: HTMLTableCellElement) => void;
}

function bar(width: number, className: string): HTMLElement {
  const b = element('span', `llm-lab-runs-bar ${className}`);
  b.style.width = `${(Math.max(0, Math.min(1, width)) * 100).toFixed(1)}%`;
  return b;
}

class RunComparisonView {
  readonly node = element('div', 'llm-lab-runs');
  private readonly title = element('div', 'llm-lab-title');
  private readonly readout = element('div', 'llm-lab-attention-readout', HINT);
  private readonly tableHolder = element('div', 'llm-lab-attention-scroll');
  private readonly legend = element('div', 'llm-lab-runs-legend');
  private readonly curveRow = element('div', 'llm-lab-runs-curve-row');
  private readonly curveSelect = element('select', 'llm-lab-query-select llm-lab-runs-curve-select');
  private readonly plot = element('div', 'llm-lab-runs-plot');
  private readonly note = element('div', 'llm-lab-attention-note llm-lab-view-note');
  private spec: RunComparisonSpec | null = null;
  /** The column the rows are sorted by (null: as given) and the direction, kept across updates. */
  private sort: { column: number; descending: boolean } | null = null;
  private curve = 0;
  private plotly: PlotlyStatic | null = null;

  constructor() {
    this.readout.setAttribute('aria-live', 'polite');
    this.curveSelect.addEventListener('change', () => {
      this.curve = Number(this.curveSelect.value);
      void this.drawPlot();
    });
    this.curveSelect.setAttribute('aria-label', 'curve');
    this.curveRow.append(element('span', 'llm-lab-runs-curve-label', 'curves: '), this.curveSelect);
    this.node.append(this.title, this.readout, this.tableHolder, this.legend, this.curveRow, this.plot, this.note);
    this.legend.append(
      ...MEMORY_PARTS.map(([, label], k) => {
        const item = element('span', 'llm-lab-runs-legend-item');
        item.append(element('span', `llm-lab-runs-swatch llm-lab-runs-mem-${k}`), document.createTextNode(label));
        return item;
      }),
      element('span', 'llm-lab-runs-legend-item', '(memory; activations not counted)')
    );
  }

  private hover(node: HTMLElement, text: string): void {
    node.title = text;
    node.addEventListener('mouseenter', () => (this.readout.textContent = text));
  }

  private columns(spec: RunComparisonSpec): Column[] {
    const maxMemory = Math.max(1, ...spec.runs.map(r => (r.memory ? memoryTotal(r.memory) : 0)));
    const maxStep = Math.max(1e-9, ...spec.runs.map(r => r.stepMs ?? 0));
    const barCell = (td: HTMLTableCellElement, bars: HTMLElement[], label: string, title: string) => {
      const track = element('span', 'llm-lab-runs-track');
      track.append(...bars);
      td.append(track, element('span', 'llm-lab-runs-value', label));
      this.hover(td, title);
    };
    const cols: Column[] = [
      {
        title: 'run',
        key: r => r.name,
        cell: (r, i, td) => {
          const swatch = element('span', 'llm-lab-runs-swatch');
          swatch.style.background = runColor(i);
          td.append(swatch, element('span', 'llm-lab-runs-name', r.name));
          if (r.status && r.status !== 'finished') td.append(element('span', `llm-lab-runs-status llm-lab-runs-status-${r.status}`, r.status));
        }
      },
      { title: 'method', key: r => r.method, cell: (r, _i, td) => td.append(element('span', 'llm-lab-runs-method', r.method)) },
      {
        title: 'trainable',
        key: r => trainableShare(r),
        cell: (r, _i, td) => barCell(td, [bar(shareBarFraction(trainableShare(r)), 'llm-lab-runs-share')], formatPercent(trainableShare(r)), paramsTitle(r))
      },
      {
        title: 'memory',
        key: r => (r.memory ? memoryTotal(r.memory) : null),
        cell: (r, _i, td) => {
          if (!r.memory) return barCell(td, [], '\u2013', memoryTitle(r));
          barCell(td, MEMORY_PARTS.map(([part], k) => bar(r.memory![part] / maxMemory, `llm-lab-runs-mem-${k}`)), formatBytes(memoryTotal(r.memory)), memoryTitle(r));
        }
      },
      {
        title: 'step time',
        key: r => r.stepMs,
        cell: (r, _i, td) => barCell(td, r.stepMs === null ? [] : [bar(r.stepMs / maxStep, 'llm-lab-runs-step')], r.stepMs === null ? '\u2013' : formatStepMs(r.stepMs), stepTimeTitle(r))
      }
    ];
    spec.metrics.forEach((m, k) => {
      const values = spec.runs.map(r => r.final[k]).filter((v): v is number => typeof v === 'number');
      const lo = Math.min(0, ...values);
      const hi = Math.max(1e-9, ...values);
      const best = bestRun(spec, k);
      cols.push({
        title: `${m.name} ${m.better === 'lower' ? '\u2193' : '\u2191'}`,
        key: r => r.final[k],
        cell: (r, i, td) => {
          const v = r.final[k];
          barCell(td, v === null ? [] : [bar((v - lo) / (hi - lo), 'llm-lab-runs-metric')], formatValue(v) + (best === i ? ' \u2605' : ''), metricTitle(spec, r, k));
          if (best === i) td.classList.add('llm-lab-runs-best');
        }
      });
    });
    return cols;
  }

  /** Row order: as given, or by the sort column (runs without a value last). */
  private order(spec: RunComparisonSpec, cols: Column[]): number[] {
    const idx = spec.runs.map((_, i) => i);
    if (!this.sort || this.sort.column >= cols.length) return idx;
    const { column, descending } = this.sort;
    const key = cols[column].key;
    return idx.sort((a, b) => {
      const [x, y] = [key(spec.runs[a], a), key(spec.runs[b], b)];
      if (x === null || y === null) return x === y ? a - b : x === null ? 1 : -1;
      const c = typeof x === 'string' ? x.localeCompare(y as string) : x - (y as number);
      return (descending ? -c : c) || a - b;
    });
  }

  private renderTable(): void {
    const spec = this.spec!;
    const cols = this.columns(spec);
    const table = element('table', 'llm-lab-runs-table');
    const head = table.createTHead().insertRow();
    cols.forEach((c, k) => {
      const th = element('th', 'llm-lab-runs-sortable', c.title);
      const sorted = this.sort?.column === k;
      th.setAttribute('aria-sort', sorted ? (this.sort!.descending ? 'descending' : 'ascending') : 'none');
      if (sorted) th.append(element('span', 'llm-lab-runs-arrow', this.sort!.descending ? ' \u25be' : ' \u25b4'));
      th.tabIndex = 0;
      const toggle = () => {
        this.sort = sorted ? { column: k, descending: !this.sort!.descending } : { column: k, descending: false };
        this.renderTable();
      };
      th.addEventListener('click', toggle);
      th.addEventListener('keydown', e => {
        if (e.key === 'Enter' || e.key === ' ') toggle();
      });
      head.append(th);
    });
    const body = table.createTBody();
    for (const i of this.order(spec, cols)) {
      const tr = body.insertRow();
      tr.dataset.run = String(i);
      for (const c of cols) {
        const td = tr.insertCell();
        c.cell(spec.runs[i], i, td);
      }
    }
    this.tableHolder.replaceChildren(table);
  }

  async update(spec: RunComparisonSpec, plotly: PlotlyStatic): Promise<void> {
    this.spec = spec;
    this.plotly = plotly;
    this.title.textContent = spec.title;
    this.renderTable();
    this.curve = Math.min(this.curve, Math.max(0, spec.curves.length - 1));
    this.curveSelect.replaceChildren(...spec.curves.map((c, k) => Object.assign(element('option', '', c), { value: String(k), selected: k === this.curve })));
    this.curveRow.hidden = spec.curves.length < 2;
    this.note.textContent = spec.note ?? '';
    this.note.hidden = !spec.note;
    await this.drawPlot();
  }

  async drawPlot(): Promise<void> {
    const spec = this.spec;
    if (!spec || !this.plotly || !this.plot.isConnected) return;
    this.plot.hidden = spec.curves.length === 0;
    if (spec.curves.length === 0) return;
    const theme = readTheme(this.plot);
    await this.plotly.react(this.plot, runCurveTraces(spec, this.curve), runCurveLayout(spec, this.curve, theme), { displaylogo: false, responsive: true, modeBarButtonsToRemove: ['select2d', 'lasso2d'] });
  }

  dispose(): void {
    this.plotly?.purge(this.plot);
  }
}

export class RunComparisonRenderer extends Widget implements IRenderMime.IRenderer {
  private view: RunComparisonView | null = null;
  private readonly unwatchTheme: () => void;

  constructor(private readonly options: IRenderMime.IRendererOptions) {
    super();
    this.addClass('llm-lab-output');
    this.unwatchTheme = watchTheme(() => requestAnimationFrame(() => void this.view?.drawPlot()));
  }

  async renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    try {
      const spec = validateRunComparisonSpec(parseSpecData(model.data[this.options.mimeType]));
      const plotly = await loadPlotly();
      if (this.isDisposed) return;
      if (!this.view) {
        this.view = new RunComparisonView();
        this.node.replaceChildren(this.view.node);
      }
      await this.view.update(spec, plotly);
    } catch (error) {
      this.view?.dispose();
      this.view = null;
      this.node.replaceChildren(errorBox('run-comparison', error));
    }
  }

  protected override onAfterAttach(msg: import('@lumino/messaging').Message): void {
    super.onAfterAttach(msg);
    void this.view?.drawPlot();
  }

  override dispose(): void {
    if (this.isDisposed) return;
    this.unwatchTheme();
    this.view?.dispose();
    super.dispose();
  }
}
