/**
 * Picture-only outputs (a static view's SVG, its <img> form and its text) as the lab draws them.
 * JupyterLab ranks text/html before image/svg+xml and its HTML renderer is safe, so such an output
 * shows the <img> of the SVG whether the notebook is trusted or not (untrusted, the HTML is
 * sanitized, and the sanitizer keeps an <img> with a data: source).
 */
import type { Locator } from 'playwright-core';
import type { SavedOutput } from './lab';

/** An output area showing the <img> form of a picture. */
export const PICTURE = '.jp-OutputArea-output[data-mime-type="text/html"]:has(img[src^="data:image/svg+xml,"])';

/** What a user sees of each picture output under `root`: the size the browser decoded, and any text. */
export async function drawnPictures(root: Locator): Promise<{ natural: [number, number]; text: string }[]> {
  return root.locator(PICTURE).evaluateAll(outputs =>
    outputs.map(o => {
      const img = o.querySelector('img')!;
      return { natural: [img.naturalWidth, img.naturalHeight] as [number, number], text: (o as HTMLElement).innerText.trim() };
    })
  );
}

/** The size a saved picture output's SVG declares. */
export function savedPictureSize(o: SavedOutput): [number, number] {
  const raw = o.data?.['image/svg+xml'];
  const svg = Array.isArray(raw) ? raw.join('') : String(raw);
  const size = /^<svg\b[^>]*?\swidth="([\d.]+)"[^>]*?\sheight="([\d.]+)"/.exec(svg);
  if (!size) throw new Error(`saved picture without width and height: ${svg.slice(0, 80)}`);
  return [Number(size[1]), Number(size[2])];
}
