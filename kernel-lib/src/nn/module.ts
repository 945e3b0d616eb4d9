/**
 * A model is a tree of modules. Each module owns its parameters (`weight`, `bias`) and its child
 * modules (`attn`, `mlp`, `h`), under local names; a parameter's full name is the path to it,
 * `transformer.h.0.attn.c_attn.weight`, the Hugging Face GPT-2 name, so checkpoints map one to one.
 *
 * Every post-training method of the course is a short function over this tree:
 *   - walk it: namedParameters(), namedModules()
 *   - pick parts by name: select('c_attn'), select(/h\.[01]\./)
 *   - decide what trains: freeze('transformer'), unfreeze('bias'); trainableParameters()
 *   - swap a part for another with the same interface: replace('transformer.h.0.attn.c_attn', lora)
 * Frozen parameters are left out of the gradients, the clipping norm and the optimizer's state.
 *
 * A module is in training mode (train()) or evaluation mode (eval()), as in PyTorch; the mode only
 * changes what dropout does. Unlike PyTorch's, a module starts in eval mode: outside a training step
 * a model then gives the same numbers every time (generation, evaluation, the attention views),
 * whatever its dropout. The Trainer calls model.train() for a step and model.eval() after it; a
 * training loop of one's own calls them itself.
 */
import * as tf from '@tensorflow/tfjs';

/**
 * Which names a pattern selects. A string matches a whole name or its last dot-separated parts
 * (`c_attn` matches `transformer.h.0.attn.c_attn`, as PEFT's target_modules do); `*` stands for
 * one part (`h.*.mlp`), `**` for any number of parts. A RegExp is tested against the full name.
 */
export type NamePattern = string | RegExp;

export function matchesName(name: string, pattern: NamePattern): boolean {
  if (pattern instanceof RegExp) return pattern.test(name);
  const glob = pattern
    .split('.')
    .map(part => (part === '**' ? '.*' : part.split('*').map(escapeRegExp).join('[^.]*')))
    .join('\\.');
  return new RegExp(`(^|\\.)${glob}$`).test(name);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The module path and every shorter path above a parameter name: a.b.weight -> a.b.weight, a.b, a. */
function pathsOf(name: string): string[] {
  const parts = name.split('.');
  return parts.map((_, i) => parts.slice(0, parts.length - i).join('.'));
}

export interface ParameterCount {
  trainable: number;
  frozen: number;
  total: number;
}

export class Module {
  private readonly ownParameters = new Map<string, tf.Variable>();
  private readonly children = new Map<string, Module>();
  private trainingMode = false;

  /** True in training mode (dropout drops), false in eval mode (the default). */
  get training(): boolean {
    return this.trainingMode;
  }

  /** Training mode for this module and every module below it (PyTorch's train(mode)); returns this. */
  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.trainingMode = mode;
    return this;
  }

  /** Evaluation mode for this module and every module below it: dropout is off. Returns this. */
  eval(): this {
    return this.train(false);
  }

  /** Register a parameter under a local name; returns it, for a field to hold. */
  protected addParameter(name: string, variable: tf.Variable): tf.Variable {
    checkLocalName(name, this.ownParameters.has(name) || this.children.has(name));
    this.ownParameters.set(name, variable);
    return variable;
  }

  /**
   * Put `variable` where the parameter `name` of this module is (a table grown for added tokens);
   * returns the old variable, for the caller to dispose. The field that held it is the caller's to update.
   */
  protected replaceParameter(name: string, variable: tf.Variable): tf.Variable {
    const old = this.ownParameters.get(name);
    if (!old) throw new Error(`replaceParameter: this module has no parameter ${name}; it has ${[...this.ownParameters.keys()].join(', ') || 'none'}`);
    this.ownParameters.set(name, variable);
    return old;
  }

  /** Register a child module under a local name (PyTorch's add_module); returns it, for a field to hold. */
  addModule<M extends Module>(name: string, module: M): M {
    checkLocalName(name, this.ownParameters.has(name) || this.children.has(name));
    if (!(module instanceof Module)) throw new Error(`addModule: ${name} must be a Module, got ${typeof module}`);
    this.children.set(name, module);
    module.train(this.training); // a module joins the tree in the tree's mode
    return module;
  }

  /** Every parameter below this module with its full name, in the order the tree was built. */
  namedParameters(prefix = ''): [string, tf.Variable][] {
    const out: [string, tf.Variable][] = [];
    for (const [name, p] of this.ownParameters) out.push([prefix + name, p]);
    for (const [name, m] of this.children) out.push(...m.namedParameters(`${prefix}${name}.`));
    return out;
  }

  parameters(): tf.Variable[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** This module (name '') and every module below it, with their full names. */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [[prefix.replace(/\.$/, ''), this]];
    for (const [name, m] of this.children) out.push(...m.namedModules(`${prefix}${name}.`));
    return out;
  }

  /** The modules whose names the pattern selects (see NamePattern), e.g. select('c_attn'). */
  select(pattern: NamePattern): [string, Module][] {
    return this.namedModules().filter(([name]) => name !== '' && matchesName(name, pattern));
  }

  /**
   * The parameters a pattern selects: those whose own name matches, and every parameter of a
   * module whose name matches. No pattern selects all.
   */
  selectParameters(pattern?: NamePattern): [string, tf.Variable][] {
    if (pattern === undefined) return this.namedParameters();
    return this.namedParameters().filter(([name]) => pathsOf(name).some(path => matchesName(path, pattern)));
  }

  /** The parameter with this full name; the error lists the names there are. */
  getParameter(name: string): tf.Variable {
    const found = this.namedParameters().find(([n]) => n === name);
    if (!found) throw new Error(`no parameter named ${name}; the model has ${this.describeNames(this.namedParameters().map(([n]) => n))}`);
    return found[1];
  }

  /** The module at this path ('' is this module). */
  getModule(path: string): Module {
    const found = this.namedModules().find(([n]) => n === path);
    if (!found) throw new Error(`no module named ${path}; the model has ${this.describeNames(this.namedModules().map(([n]) => n).filter(Boolean))}`);
    return found[1];
  }

  /** Stop training the selected parameters (all, without a pattern); returns how many numbers that froze. */
  freeze(pattern?: NamePattern): number {
    return this.setTrainable(pattern, false);
  }

  /** Train the selected parameters again (all, without a pattern); returns how many numbers that unfroze. */
  unfreeze(pattern?: NamePattern): number {
    return this.setTrainable(pattern, true);
  }

  private setTrainable(pattern: NamePattern | undefined, trainable: boolean): number {
    const selected = this.selectParameters(pattern);
    if (selected.length === 0) throw new Error(`${trainable ? 'unfreeze' : 'freeze'}: ${String(pattern)} selects no parameter; the model has ${this.describeNames(this.namedParameters().map(([n]) => n))}`);
    let changed = 0;
    for (const [, p] of selected) {
      if (p.trainable !== trainable) changed += p.size;
      p.trainable = trainable; // tfjs leaves non-trainable variables out of tf.variableGrads
    }
    return changed;
  }

  /** The parameters that train, with their full names: what gets gradients and optimizer state. */
  trainableParameters(): [string, tf.Variable][] {
    return this.namedParameters().filter(([, p]) => p.trainable);
  }

  /** Numbers that train, numbers that are frozen, and both. */
  countParameters(): ParameterCount {
    let trainable = 0;
    let frozen = 0;
    for (const [, p] of this.namedParameters()) {
      if (p.trainable) trainable += p.size;
      else frozen += p.size;
    }
    return { trainable, frozen, total: trainable + frozen };
  }

  /** Number of parameters (numbers), trainable or not. */
  numParams(): number {
    return this.countParameters().total;
  }

  /**
   * Put `module` where the module at `path` is (a Linear by a wrapped or quantized one, ...).
   * The parent's field that held the old module holds the new one, so its forward uses it;
   * returns the old module (not disposed: a wrapper may keep it inside).
   */
  replace(path: string, module: Module): Module {
    const dot = path.lastIndexOf('.');
    const parent = dot < 0 ? this : this.getModule(path.slice(0, dot));
    const key = path.slice(dot + 1);
    const old = parent.children.get(key);
    if (!old) throw new Error(`replace: no module named ${path}; the model has ${this.describeNames(this.namedModules().map(([n]) => n).filter(Boolean))}`);
    if (!(module instanceof Module)) throw new Error(`replace: the new ${path} must be a Module`);
    if (typeof (module as unknown as { forward?: unknown }).forward !== 'function') throw new Error(`replace: the new ${path} has no forward()`);
    parent.swapChild(key, old, module);
    module.train(parent.training);
    return old;
  }

  /** The child `key` becomes `module`, here and in the field that held the old one. */
  protected swapChild(key: string, old: Module, module: Module): void {
    this.children.set(key, module);
    const fields = this as unknown as Record<string, unknown>;
    for (const field of Object.keys(fields)) if (fields[field] === old) fields[field] = module;
  }

  /** Free every parameter's memory, and what each module below holds besides (disposeBuffers). */
  dispose(): void {
    for (const p of this.parameters()) if (!p.isDisposed) p.dispose();
    for (const [, m] of this.namedModules()) m.disposeBuffers();
  }

  /**
   * Free the tensors this module holds that are not parameters (a quantized layer's packed codes,
   * a prefix computed once); dispose() calls it on every module of the tree.
   */
  protected disposeBuffers(): void {}

  private describeNames(names: string[]): string {
    if (names.length === 0) return 'none';
    return names.length <= 8 ? names.join(', ') : `${names.slice(0, 8).join(', ')}, ... (${names.length} in all)`;
  }
}

function checkLocalName(name: string, taken: boolean): void {
  if (!/^[A-Za-z0-9_]+$/.test(name)) throw new Error(`module and parameter names are letters, digits and _, got ${JSON.stringify(name)}`);
  if (taken) throw new Error(`${name} is defined twice`);
}

/** Modules in a numbered list (a model's blocks: h.0, h.1, ...), iterable like an array. */
export class ModuleList<M extends Module> extends Module implements Iterable<M> {
  private readonly items: M[] = [];

  constructor(modules: M[]) {
    super();
    modules.forEach((m, i) => this.items.push(this.addModule(String(i), m)));
  }

  get length(): number {
    return this.items.length;
  }

  at(i: number): M {
    const m = this.items[i];
    if (!m) throw new Error(`no module ${i}: the list has ${this.items.length}`);
    return m;
  }

  [Symbol.iterator](): Iterator<M> {
    return this.items[Symbol.iterator]();
  }

  map<T>(f: (m: M, i: number) => T): T[] {
    return this.items.map(f);
  }

  protected override swapChild(key: string, old: Module, module: Module): void {
    super.swapChild(key, old, module);
    this.items[Number(key)] = module as M;
  }
}
