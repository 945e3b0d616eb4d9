/**
 * Small helpers for the static SVG fallbacks (no DOM: strings built from d3-scale/d3-shape).
 * Every piece of text goes through escapeXml: token and sample text is untrusted.
 */
import { scaleLinear, scaleLog, ScaleContinuousNumeric } from 'd3-scale';

/**
 * Text made safe for SVG: markup characters escaped, and the characters XML 1.0 forbids even
 * escaped (controls other than tab and newline, lone surrogates, U+FFFE/U+FFFF) shown as their
 * Unicode "control picture" (U+0000 -> \u2400) or U+FFFD, so the picture stays well-formed.
 */
export function escapeXml(s: string): string {
  return s
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/g, c => String.fromCharCode(0x2400 + c.charCodeAt(0)))
    .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]|[\uFFFE\uFFFF]/g, '\uFFFD')
    .replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A coordinate with at most one decimal and no trailing zeros (120, 70.5): SVGs of many marks stay small. */
export function num(x: number): string {
  return String(Math.round(x * 10) / 10);
}

/** An opacity in [0, 1] with three decimals and no leading zero (.123). */
export function opacity(w: number): string {
  return String(Math.round(Math.min(1, Math.max(0, w)) * 1000) / 1000).replace(/^0\./, '.');
}

export function text(x: number, y: number, content: string, attrs = ''): string {
  return `<text x="${num(x)}" y="${num(y)}" ${attrs}>${escapeXml(content)}</text>`;
}

export function svgDocument(width: number, height: number, body: string[]): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
    `font-family="sans-serif" font-size="11">` +
    `<rect width="${width}" height="${height}" fill="#ffffff"/>${body.join('')}</svg>`
  );
}

/**
 * Tick marks and labels of an axis, left (vertical) or bottom (horizontal): about `ticks` round
 * values, or exactly the values given (a log axis labels its data's x values); labels written by
 * `format` where given.
 */
export function axis(
  scale: ScaleContinuousNumeric<number, number>,
  orient: 'left' | 'bottom',
  at: number,
  ticks: number | number[] = 5,
  format: (t: number) => string = Array.isArray(ticks) ? t => t.toLocaleString('en-US') : scale.tickFormat(ticks)
): string {
  const parts: string[] = [];
  const [r0, r1] = scale.range();
  const values = Array.isArray(ticks) ? ticks : scale.ticks(ticks);
  if (orient === 'bottom') {
    parts.push(`<line x1="${r0}" x2="${r1}" y1="${at}" y2="${at}" stroke="#888"/>`);
    for (const t of values) {
      const x = scale(t);
      parts.push(`<line x1="${x}" x2="${x}" y1="${at}" y2="${at + 4}" stroke="#888"/>`, text(x, at + 15, format(t), 'text-anchor="middle" fill="#444"'));
    }
  } else {
    parts.push(`<line x1="${at}" x2="${at}" y1="${r0}" y2="${r1}" stroke="#888"/>`);
    for (const t of values) {
      const y = scale(t);
      parts.push(`<line x1="${at - 4}" x2="${at}" y1="${y}" y2="${y}" stroke="#888"/>`, text(at - 6, y + 4, format(t), 'text-anchor="end" fill="#444"'));
    }
  }
  return parts.join('');
}

export { scaleLinear, scaleLog };
