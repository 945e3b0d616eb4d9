/**
 * Colors and fonts of the current JupyterLab theme, for the parts of a view that CSS cannot
 * reach (plotly draws its own SVG from a layout object; d3 fills cells from a color scale).
 * Read at render time, so light, dark and high-contrast themes all work.
 */

export interface ThemeColors {
  /** Main text, secondary text. */
  font: string;
  fontMuted: string;
  fontFamily: string;
  codeFontFamily: string;
  /** The output area's background, and lines such as grids and borders. */
  background: string;
  grid: string;
  /** Curve colors. */
  brand: string;
  warn: string;
  accent: string;
  success: string;
}

/** JupyterLab's light theme, used where a variable is not set (outside JupyterLab, jsdom). */
const LIGHT: ThemeColors = {
  font: 'rgba(0, 0, 0, 0.87)',
  fontMuted: 'rgba(0, 0, 0, 0.54)',
  fontFamily: 'system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif',
  codeFontFamily: 'menlo, consolas, "DejaVu Sans Mono", monospace',
  background: '#ffffff',
  grid: '#e0e0e0',
  brand: '#1976d2',
  warn: '#f57c00',
  accent: '#388e3c',
  success: '#388e3c'
};

const VARIABLES: Record<keyof ThemeColors, string> = {
  font: '--jp-ui-font-color1',
  fontMuted: '--jp-ui-font-color2',
  fontFamily: '--jp-ui-font-family',
  codeFontFamily: '--jp-code-font-family',
  background: '--jp-layout-color0',
  grid: '--jp-border-color2',
  brand: '--jp-brand-color1',
  warn: '--jp-warn-color1',
  accent: '--jp-accent-color1',
  success: '--jp-success-color1'
};

/**
 * The theme as seen from `node` (variables may be overridden below :root). A node not yet in
 * the document has no inherited variables: read the document's own then.
 */
export function readTheme(node: Element): ThemeColors {
  const style = getComputedStyle(node.isConnected ? node : document.documentElement);
  const theme = { ...LIGHT };
  for (const key of Object.keys(VARIABLES) as (keyof ThemeColors)[]) {
    const value = style.getPropertyValue(VARIABLES[key]).trim();
    if (value) theme[key] = value;
  }
  return theme;
}

/**
 * Call `onChange` when the user switches theme. JupyterLab marks the theme on <body>
 * (data-jp-theme-name, data-jp-theme-light). Returns the function that stops watching.
 */
export function watchTheme(onChange: () => void): () => void {
  if (typeof MutationObserver === 'undefined' || !document.body) return () => undefined;
  const observer = new MutationObserver(() => onChange());
  observer.observe(document.body, { attributes: true, attributeFilter: ['data-jp-theme-name', 'data-jp-theme-light'] });
  return () => observer.disconnect();
}
