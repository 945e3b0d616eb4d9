import { afterAll } from 'vitest';
import { releaseWebgpu, useDevice } from '../../kernel-lib/src/device/backend';

/** After the suite: back to cpu, and let go of Dawn (a referenced GPU keeps the worker alive). */
export function releaseWebgpuAfterAll(): void {
  afterAll(async () => {
    await useDevice('cpu', { quiet: true });
    releaseWebgpu();
  });
}
