/**
 * Reading the text/html form of a picture back, as a browser reads it: the single <img> of the
 * HTML, and the SVG its data URI holds. Tests of a view's bundle use it to check that the form
 * draws exactly the bundle's own picture.
 */
import { JSDOM } from 'jsdom';
import { expect } from 'vitest';

const { window } = new JSDOM('');
const SVG_URI = 'data:image/svg+xml,';

/** The <img> that is the whole of `html`; fails the test when the HTML is anything else. */
export function imgOf(html: string): HTMLImageElement {
  const body = new window.DOMParser().parseFromString(html, 'text/html').body;
  expect(Array.from(body.children, c => c.tagName)).toEqual(['IMG']);
  return body.firstElementChild as HTMLImageElement;
}

/** The SVG an <img> form draws: its src, a data URI, decoded. */
export function svgOfImgForm(html: string): string {
  const src = imgOf(html).getAttribute('src') ?? '';
  expect(src.startsWith(SVG_URI), `src ${src.slice(0, 40)}`).toBe(true);
  return decodeURIComponent(src.slice(SVG_URI.length));
}
