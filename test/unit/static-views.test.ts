/**
 * The static form of every view: its SVG stands alone (an <img>, a file, another page can draw it)
 * and the bundle the kernel sends also carries it as text/html, an <img> of that SVG, which
 * renderers that strip inline SVG (nbconvert 6.5.1 to 7.6) show instead. Checked on every picture
 * saved in the course notebooks (every kind of view the course shows) and on the transport itself.
 */
import * as fs from 'fs';
import * as path from 'path';
import { JSDOM } from 'jsdom';
import { afterEach, describe, expect, it } from 'vitest';
import { mimeTypeFor } from '../../kernel-lib/src/contract';
import { display, LiveDisplay, MimeBundle, setDisplaySink, staticHtml, svgDataUri, withStaticHtml } from '../../kernel-lib/src/viz/display';
import { peftDiagramBundle, peftDiagramSpec, showPeftDiagram } from '../../kernel-lib/src/viz/peftDiagram';
import { samplingBundle } from '../../kernel-lib/src/viz/sampling';
import { tokensBundle } from '../../kernel-lib/src/viz/tokens';
import { newTrainingSpec, trainingBundle } from '../../kernel-lib/src/viz/training';
import { CharTokenizer } from '../../kernel-lib/src/tokenizers/char';

afterEach(() => setDisplaySink(null));

const SVG_NS = 'http://www.w3.org/2000/svg';
const { window } = new JSDOM('');
const joined = (v: string | string[]) => (Array.isArray(v) ? v.join('') : v);

/** Every saved picture of the committed notebooks, with the kind of view it belongs to. */
function savedPictures(): { where: string; kind: string; svg: string; text: string }[] {
  const dir = path.join(__dirname, '..', '..', 'notebooks');
  const found: { where: string; kind: string; svg: string; text: string }[] = [];
  for (const name of fs.readdirSync(dir).filter(f => f.endsWith('.ipynb')).sort()) {
    const nb = JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')) as { cells: { outputs?: { data?: Record<string, string | string[]> }[] }[] };
    nb.cells.forEach((cell, c) =>
      (cell.outputs ?? []).forEach((o, i) => {
        const data = o.data ?? {};
        if (data['image/svg+xml'] === undefined) return;
        const kind = Object.keys(data).find(m => m.startsWith('application/vnd.llm-lab.')) ?? 'picture only';
        found.push({ where: `${name} cell ${c} output ${i}`, kind, svg: joined(data['image/svg+xml']), text: joined(data['text/plain'] ?? '') });
      })
    );
  }
  return found;
}

/** What is wrong with an SVG as a picture on its own: [] when nothing. */
function standaloneProblems(svg: string): string[] {
  const doc = new window.DOMParser().parseFromString(svg, 'image/svg+xml');
  const error = doc.getElementsByTagName('parsererror')[0];
  if (error) return [`not well-formed XML: ${error.textContent?.slice(0, 120)}`];
  const root = doc.documentElement;
  const problems: string[] = [];
  if (root.namespaceURI !== SVG_NS || root.localName !== 'svg') problems.push(`root is ${root.namespaceURI} ${root.localName}, not an SVG`);
  for (const a of ['width', 'height']) if (!(Number(root.getAttribute(a)) > 0)) problems.push(`${a} is ${root.getAttribute(a)}`);
  const box = (root.getAttribute('viewBox') ?? '').split(/[\s,]+/).map(Number);
  if (box.length !== 4 || !(box[2] > 0 && box[3] > 0)) problems.push(`viewBox is ${root.getAttribute('viewBox')}`);
  if (!/\bsans-serif\b|\bserif\b|\bmonospace\b/.test(root.getAttribute('font-family') ?? '')) problems.push(`font-family ${root.getAttribute('font-family')} has no generic fallback`);
  // a page's stylesheet or theme never reaches an <img>: nothing may depend on one
  for (const el of [root, ...root.querySelectorAll('*')]) {
    if (el.namespaceURI !== SVG_NS) problems.push(`<${el.localName}> outside the SVG namespace`);
    if (['style', 'foreignObject', 'script', 'image', 'use'].includes(el.localName)) problems.push(`<${el.localName}>`);
    for (const attr of el.getAttributeNames()) {
      const value = el.getAttribute(attr) ?? '';
      if (attr === 'class' || attr === 'style' || attr.endsWith('href')) problems.push(`${attr}="${value.slice(0, 40)}" on <${el.localName}>`);
      if (/var\(|currentColor|url\((?!#)/.test(value)) problems.push(`${attr}="${value.slice(0, 40)}" on <${el.localName}>`);
    }
  }
  return problems;
}

/** The <img> of a text/html form, read as a browser reads it. */
function imgOf(html: string): HTMLImageElement {
  const body = new window.DOMParser().parseFromString(html, 'text/html').body;
  expect(body.children.length).toBe(1);
  const img = body.firstElementChild as HTMLImageElement;
  expect(img.tagName).toBe('IMG');
  return img;
}

/** The SVG inside a data URI as a browser decodes it. */
function svgOfUri(uri: string): string {
  const prefix = 'data:image/svg+xml,';
  expect(uri.startsWith(prefix)).toBe(true);
  return decodeURIComponent(uri.slice(prefix.length));
}

describe('what makes an SVG unable to stand alone', () => {
  it('is found: bad XML, no namespace, no size, a class, a stylesheet, a theme colour, HTML inside', () => {
    const ok = `<svg xmlns="${SVG_NS}" width="10" height="5" viewBox="0 0 10 5" font-family="sans-serif"><rect width="10" height="5" fill="#fff"/></svg>`;
    expect(standaloneProblems(ok)).toEqual([]);
    expect(standaloneProblems(ok.replace('fill="#fff"/>', '/><text>a & b</text>'))[0]).toMatch(/^not well-formed XML/);
    expect(standaloneProblems(ok.replace(` xmlns="${SVG_NS}"`, ''))).toContain('root is null svg, not an SVG');
    expect(standaloneProblems(ok.replace(' width="10"', ''))).toEqual(['width is null']);
    expect(standaloneProblems(ok.replace(' viewBox="0 0 10 5"', ''))).toEqual(['viewBox is null']);
    expect(standaloneProblems(ok.replace('sans-serif', 'DejaVu Sans'))).toEqual(['font-family DejaVu Sans has no generic fallback']);
    expect(standaloneProblems(ok.replace('fill="#fff"', 'class="jp-bg"'))).toEqual(['class="jp-bg" on <rect>']);
    expect(standaloneProblems(ok.replace('fill="#fff"', 'fill="var(--jp-layout-color0)"'))).toEqual(['fill="var(--jp-layout-color0)" on <rect>']);
    expect(standaloneProblems(ok.replace('<rect', '<style>rect{fill:red}</style><rect'))).toEqual(['<style>']);
    expect(standaloneProblems(ok.replace('<rect', '<foreignObject><div xmlns="http://www.w3.org/1999/xhtml">x</div></foreignObject><rect'))).toEqual([
      '<foreignObject>',
      '<div> outside the SVG namespace'
    ]);
  });
});

describe('the saved pictures of the course notebooks', () => {
  const pictures = savedPictures();

  it('there are pictures of many kinds of view to check', () => {
    expect(pictures.length).toBeGreaterThan(50);
    expect(new Set(pictures.map(p => p.kind)).size).toBeGreaterThan(15);
  });

  it('each SVG stands alone: well-formed XML, the SVG namespace, a size and a viewBox, a generic font, no stylesheet, class, link or theme colour', () => {
    const problems = pictures.flatMap(p => standaloneProblems(p.svg).map(x => `${p.where} (${p.kind}): ${x}`));
    expect(problems).toEqual([]);
  });

  it("each one's <img> form draws exactly that SVG, at its size, with the first line of its text as alt", () => {
    for (const p of pictures) {
      const img = imgOf(staticHtml(p.svg, p.text));
      expect(svgOfUri(img.getAttribute('src')!), p.where).toBe(p.svg);
      const root = new window.DOMParser().parseFromString(p.svg, 'image/svg+xml').documentElement;
      expect([img.getAttribute('width'), img.getAttribute('height')], p.where).toEqual([root.getAttribute('width'), root.getAttribute('height')]);
      expect(img.getAttribute('alt'), p.where).toBe(p.text.split('\n')[0].slice(0, 200));
    }
  });
});

describe('the <img> form', () => {
  it("percent-encodes only what a URL or a '-quoted attribute would misread, so any text survives", () => {
    const svg = `<svg xmlns="${SVG_NS}" width="10" height="5" viewBox="0 0 10 5"><text>100% #1 &amp; &lt;b&gt; &#39;q&#39; "d"\ttab\nline ☃ 𝄞</text></svg>`;
    expect(svgOfUri(svgDataUri(svg))).toBe(svg);
    expect(svgDataUri(svg)).not.toMatch(/[#&'\t\n]|%(?![0-9A-F]{2})/);
    const img = imgOf(staticHtml(svg, `<img src=x onerror=alert(1)> & 'q'\nsecond line`));
    expect(svgOfUri(img.getAttribute('src')!)).toBe(svg);
    expect(img.getAttribute('alt')).toBe(`<img src=x onerror=alert(1)> & 'q'`);
    expect(img.getAttributeNames().sort()).toEqual(['alt', 'height', 'src', 'width']);
  });

  it('is added once, and only to a bundle with a picture', () => {
    const text = { 'text/plain': 'no picture' };
    expect(withStaticHtml(text)).toBe(text);
    const once = withStaticHtml({ 'image/svg+xml': `<svg xmlns="${SVG_NS}" width="4" height="2" viewBox="0 0 4 2"/>`, 'text/plain': 'tiny' });
    expect(withStaticHtml(once)).toBe(once);
  });
});

describe('the bundles the kernel sends', () => {
  const sent: { data: MimeBundle; id?: string; update: boolean }[] = [];
  const listen = () => {
    sent.length = 0;
    setDisplaySink((m, update) => sent.push({ data: m.data, id: m.transient.display_id, update }));
  };

  it("a view's bundle keeps its spec, SVG and text as they are, and adds the <img> of that SVG", () => {
    listen();
    showPeftDiagram({ method: 'lora', rank: 8 }, { title: 'LoRA <r=8>' });
    const built = peftDiagramBundle(peftDiagramSpec({ method: 'lora', rank: 8 }, { title: 'LoRA <r=8>' }));
    expect(sent).toHaveLength(1);
    const { data } = sent[0];
    expect(Object.keys(data).sort()).toEqual([mimeTypeFor('peft-diagram'), 'image/svg+xml', 'text/html', 'text/plain']);
    for (const m of Object.keys(built)) expect(data[m]).toBe(built[m]);
    expect(svgOfUri(imgOf(data['text/html']).getAttribute('src')!)).toBe(data['image/svg+xml']);
    expect(standaloneProblems(data['image/svg+xml'])).toEqual([]);
  });

  it('a picture-only bundle gets the <img> form too', () => {
    listen();
    display(samplingBundle({ prompt: 'Call me', strategies: [{ name: 'greedy <t=0>', next: [{ token: ' I', p: 0.9 }, { token: '&', p: 0.1 }], candidates: 2, text: ' Ishmael.' }] }));
    expect(Object.keys(sent[0].data).sort()).toEqual(['image/svg+xml', 'text/html', 'text/plain']);
    expect(svgOfUri(imgOf(sent[0].data['text/html']).getAttribute('src')!)).toBe(sent[0].data['image/svg+xml']);
  });

  it('a live view sends no <img> while it has no picture, and the <img> with its final picture', () => {
    listen();
    const view = new LiveDisplay();
    const spec = newTrainingSpec('tiny', 10);
    view.show(trainingBundle(spec));
    view.show(trainingBundle({ ...spec, status: 'done' }, { final: true }));
    expect(sent.map(m => [m.update, Object.keys(m.data).sort()])).toEqual([
      [false, [mimeTypeFor('training'), 'text/plain']],
      [true, [mimeTypeFor('training'), 'image/svg+xml', 'text/html', 'text/plain']]
    ]);
  });

  it('a bundle with HTML of its own keeps it', () => {
    listen();
    const own = tokensBundle({ characters: CharTokenizer.fromText('abc') }, 'abc');
    display(own);
    expect(sent[0].data).toEqual(own);
  });
});
