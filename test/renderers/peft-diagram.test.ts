import './setup';
import { afterEach, describe, expect, it } from 'vitest';
import { PEFT_DIAGRAM_MIME_TYPE } from '../../extension/src/mime';
import { peftDiagramSpec } from '../../kernel-lib/src/viz/peftDiagram';
import { render } from './render';

afterEach(() => {
  document.body.replaceChildren();
});

async function shown(data: unknown) {
  return (await render(PEFT_DIAGRAM_MIME_TYPE, data)).node;
}

/** The parts of one panel in a role, by their ids. */
const inRole = (panel: Element, role: string) => Array.from(panel.querySelectorAll(`.llm-lab-peft-part[data-role="${role}"]`)).map(g => g.getAttribute('data-part'));
const panels = (root: Element) => Array.from(root.querySelectorAll('.llm-lab-peft-panel'));

describe('PEFT diagram view', () => {
  it('draws one block per method side by side, each with its name, what it changes and its sizes', async () => {
    const root = await shown(peftDiagramSpec([{ method: 'full' }, { method: 'lora', rank: 4, alpha: 8, trainableParams: 73_728, totalParams: 124_439_808 }, { method: 'prompt', promptLength: 12 }]));
    expect(root.querySelector('.llm-lab-title')!.textContent).toBe('What trains: Full fine-tuning vs LoRA vs Prompt tuning');
    expect(panels(root).map(p => p.getAttribute('data-method'))).toEqual(['full', 'lora', 'prompt']);
    expect(Array.from(panels(root)[1].querySelectorAll('.llm-lab-peft-heading > div')).map(d => d.textContent)).toEqual([
      'LoRA',
      'W frozen; h = W x + (\u03b1/r) B A x, A and B train',
      'r = 4, \u03b1 = 8 (scale 2) on c_attn',
      '73,728 of 124,439,808 parameters train (0.059%)'
    ]);
    for (const p of panels(root)) {
      const labels = Array.from(p.querySelectorAll('.llm-lab-peft-label')).map(t => t.textContent);
      expect(labels).toEqual(expect.arrayContaining(['wte', 'wpe', 'ln_1', 'c_attn', 'softmax(q k\u1d40/\u221ad) v', 'attn.c_proj', 'ln_2', 'c_fc', 'GELU', 'mlp.c_proj', 'ln_f', 'lm_head / score']));
      expect(labels.filter(l => l === '+')).toHaveLength(3);
    }
  });

  it('highlights different parts per method: all trainable, only LoRA A/B added, only the soft prompt added', async () => {
    const root = await shown(peftDiagramSpec([{ method: 'full' }, { method: 'lora', rank: 4, alpha: 8 }, { method: 'prompt', promptLength: 12 }]));
    const [full, lora, prompt] = panels(root);
    // 10 weights (wte, wpe, 3 LayerNorms, 4 linears, head) and 7 biases (4 linears, 3 LayerNorms)
    expect(inRole(full, 'frozen')).toEqual([]);
    expect(inRole(full, 'trainable')).toHaveLength(17);
    expect(inRole(lora, 'trainable')).toEqual([]);
    expect(inRole(lora, 'added')).toEqual(['attn.c_attn.lora_A', 'attn.c_attn.lora_B']);
    expect(Array.from(lora.querySelectorAll('[data-role="added"] .llm-lab-peft-sub')).map(t => t.textContent)).toEqual(['768\u00d74', '4\u00d72304']);
    expect(inRole(prompt, 'added')).toEqual(['soft_prompt']);
    expect(inRole(prompt, 'frozen')).toHaveLength(17);
  });

  it('QLoRA hatches the four quantized linears, and the legend names all five roles', async () => {
    const root = await shown(peftDiagramSpec({ method: 'qlora' }));
    expect(inRole(root, 'quantized')).toEqual(['attn.c_attn', 'attn.c_proj', 'mlp.c_fc', 'mlp.c_proj']);
    expect(root.querySelectorAll('.llm-lab-peft-quantized .llm-lab-peft-hatched')).toHaveLength(4);
    // each diagram's hatch pattern has its own id, so two outputs on a page never share one
    const pattern = root.querySelector('pattern')!.id;
    expect(root.querySelector('.llm-lab-peft-hatched')!.getAttribute('fill')).toBe(`url(#${pattern})`);
    expect(Array.from(root.querySelectorAll('.llm-lab-q-legend-label')).map(l => l.textContent)).toEqual(['frozen', 'trainable', 'quantized (4-bit, frozen)', 'added (trainable)', 'operation (no weights)']);
  });

  it('BitFit marks the bias strips trainable and the weights beside them frozen', async () => {
    const root = await shown(peftDiagramSpec({ method: 'bitfit' }));
    expect(inRole(root, 'trainable')).toEqual(['ln_f.bias', 'ln_2.bias', 'ln_1.bias', 'attn.c_attn.bias', 'attn.c_proj.bias', 'mlp.c_fc.bias', 'mlp.c_proj.bias']);
    expect(inRole(root, 'trainable').every(id => inRole(root, 'frozen').includes(id!.replace('.bias', '')))).toBe(true);
  });

  it('pointing at a part reads out what the method does to it', async () => {
    const root = await shown(peftDiagramSpec([{ method: 'adapter', bottleneck: 48 }, { method: 'ia3' }]));
    const adapter = root.querySelector('[data-part="mlp.c_proj.adapter"]')!;
    adapter.dispatchEvent(new MouseEvent('mouseenter'));
    const readout = root.querySelector('.llm-lab-attention-readout')!.textContent;
    expect(readout).toBe('Houlsby adapter after the MLP: down-project 768 \u2192 48, GELU, up-project 48 \u2192 768, plus its own skip (starts near the identity): added by the method, trainable');
    expect(adapter.querySelector('title')!.textContent).toBe(readout);
    root.querySelector('[data-part="ln_2"]')!.dispatchEvent(new MouseEvent('mouseenter'));
    expect(root.querySelector('.llm-lab-attention-readout')!.textContent).toBe('ln_2 (\u03b3: 768): trainable: gradient and AdamW state');
    expect(inRole(panels(root)[1], 'added')).toEqual(['attn.ia3', 'mlp.ia3']);
  });
});

describe('PEFT diagram view: malformed specs', () => {
  const good = peftDiagramSpec({ method: 'lora' });
  const cases: [string, unknown, string][] = [
    ['an unknown method', { ...good, panels: [{ ...good.panels[0], method: '<b>dora</b>' }] }, 'panels[0].method must be one of full, head, bitfit, lora, qlora, adapter, prefix, prompt, ia3, got "<b>dora</b>"'],
    ['a rank missing', { ...good, panels: [{ ...good.panels[0], rank: undefined }] }, 'panels[0].rank must be a finite number, got undefined'],
    ['a prefix length on LoRA', { ...good, panels: [{ ...good.panels[0], prefixLength: 4 }] }, 'panels[0].prefixLength (4) applies to prefix, not to lora'],
    ['no panels', { ...good, panels: [] }, 'panels must be a non-empty array, got []']
  ];
  for (const [what, data, message] of cases) {
    it(`${what}: an error box naming the field, markup shown as text`, async () => {
      const root = await shown(data);
      expect(root.querySelector('.llm-lab-error-detail')!.textContent).toBe(message);
      expect(root.querySelector('.llm-lab-peft, b')).toBeNull();
    });
  }
});
