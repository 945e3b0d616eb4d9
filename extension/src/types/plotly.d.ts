/**
 * The small part of plotly.js that the renderers use. `plotly.js-dist-min` ships no types, and
 * @types/plotly.js would be one more package for four functions.
 */
declare module 'plotly.js-dist-min' {
  /** One trace (a line, a marker series); plotly accepts many more keys than we use. */
  export type PlotData = Record<string, unknown>;
  /** Figure layout: axes, legend, margins, colors. */
  export type PlotLayout = Record<string, unknown>;
  export type PlotConfig = Record<string, unknown>;

  export interface PlotlyStatic {
    /** Draw, or update in place when `root` already holds a plot (cheap for live updates). */
    react(root: HTMLElement, data: PlotData[], layout: PlotLayout, config?: PlotConfig): Promise<HTMLElement>;
    /** Remove the plot and every listener plotly attached for it. */
    purge(root: HTMLElement): void;
    Plots: {
      /** Fit the plot to its container; rejects when the container is not displayed. */
      resize(root: HTMLElement): Promise<void>;
    };
  }

  const Plotly: PlotlyStatic;
  export default Plotly;
}
