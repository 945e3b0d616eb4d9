/**
 * The cpu backend's fused kernels and matrix product (kernel-lib/src/device/fusedCpu.ts) against
 * the cpu backend with tfjs's own kernels and the readable model code: every op, forward and backward.
 */
import { afterAll } from 'vitest';
import { useDevice } from '../../kernel-lib/src/device/backend';
import { describeConformance } from '../conformance/suite';

afterAll(() => useDevice('cpu', { quiet: true }));

describeConformance('cpu');
