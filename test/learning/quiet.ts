/**
 * The setting every learning test on the base model shares: the wasm backend (the one CI has, and
 * deterministic for fixed seeds), views sent nowhere (a test reads numbers, not plots), and
 * everything given back afterwards.
 */
import { beforeAll } from 'vitest';
import { releaseWebgpu, useDevice } from '../../kernel-lib/src/device/backend';
import { setDisplaySink } from '../../kernel-lib/src/viz/display';

/** Call inside a describe: wasm and no display for its tests, restored after them. */
export function onQuietWasm(): void {
  beforeAll(async () => {
    await useDevice('wasm', { quiet: true });
    setDisplaySink(() => undefined);
    return () => {
      setDisplaySink(null);
      releaseWebgpu();
    };
  });
}
