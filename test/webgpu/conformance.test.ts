/**
 * WebGPU (Dawn) against the cpu backend, op by op, forward and backward (test/conformance).
 * In CI this runs on a software Vulkan adapter (scripts/lavapipe.sh), never skipped.
 */
import { afterAll } from 'vitest';
import { releaseWebgpu, useDevice } from '../../kernel-lib/src/backend';
import { describeConformance } from '../conformance/suite';

afterAll(async () => {
  await useDevice('cpu', { quiet: true });
  releaseWebgpu();
});

describeConformance('webgpu');
