/**
 * Gradual unfreezing (ULMFiT, Howard & Ruder 2018): fine-tune the head alone first, then unfreeze
 * one more layer group from the top down every `every` steps. The top layers, closest to the new
 * task, adapt first; the lower ones, which hold the most general features, join only once the
 * head no longer sends them large, random gradients. With it, the schedule decides what trains.
 */
import { Module, NamePattern } from '../nn/module';
import { checkPositiveInt } from './objective';
import { layerGroups } from './paramGroups';

export interface GradualUnfreezingConfig {
  /** Unfreeze the next group every this many steps. */
  every: number;
  /** The groups from the top down; default the model's layer groups (head, block L-1, ..., block 0, embeddings). */
  groups?: NamePattern[][];
}

export class GradualUnfreezing {
  readonly groups: { name: string; params: NamePattern[] }[];
  private unfrozen = 0;

  constructor(private readonly model: Module, readonly config: GradualUnfreezingConfig) {
    checkPositiveInt('gradualUnfreezing: every', config.every);
    this.groups = config.groups
      ? config.groups.map((params, i) => ({ name: `group ${i}`, params }))
      : layerGroups(model).map(g => ({ name: g.name, params: g.params }));
    if (this.groups.length === 0) throw new Error('gradualUnfreezing: no groups to unfreeze');
    for (const g of this.groups) {
      for (const pattern of g.params) {
        if (model.selectParameters(pattern).length === 0) throw new Error(`gradualUnfreezing: ${g.name}: ${String(pattern)} selects no parameter of the model`);
      }
    }
  }

  /** How many groups train at `step`: the first at step 0, one more every `every` steps. */
  groupsAt(step: number): number {
    return Math.min(this.groups.length, 1 + Math.floor(step / this.config.every));
  }

  /**
   * Make the model's trainable parameters those of the schedule at `step`; returns the names of
   * the groups this call unfroze (none most steps).
   */
  apply(step: number): string[] {
    const want = this.groupsAt(step);
    if (this.unfrozen === 0) this.model.freeze();
    const opened = this.groups.slice(this.unfrozen, want);
    for (const g of opened) for (const pattern of g.params) this.model.unfreeze(pattern);
    this.unfrozen = Math.max(this.unfrozen, want);
    return opened.map(g => g.name);
  }
}
