import { defineConfig } from 'vitest/config';

// One project per kind of suite (DESIGN.md "Tests"); `npm test` runs them all.
export default defineConfig({
  test: {
    // One file at a time: the learning, kernel and browser suites each want the CPU to themselves.
    fileParallelism: false,
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], environment: 'node', testTimeout: 60_000 } },
      { test: { name: 'learning', include: ['test/learning/**/*.test.ts'], environment: 'node', testTimeout: 600_000 } },
      { test: { name: 'renderers', include: ['test/renderers/**/*.test.ts'], environment: 'jsdom', testTimeout: 60_000 } },
      { test: { name: 'webgpu', include: ['test/webgpu/**/*.test.ts'], environment: 'node', testTimeout: 600_000 } },
      { test: { name: 'kernel', include: ['test/kernel/**/*.test.ts'], environment: 'node', testTimeout: 600_000 } },
      { test: { name: 'notebooks', include: ['test/notebooks/**/*.test.ts'], environment: 'node', testTimeout: 1_200_000, maxConcurrency: 2 } },
      { test: { name: 'browser', include: ['test/browser/**/*.test.ts'], environment: 'node', testTimeout: 1_200_000, hookTimeout: 600_000 } },
      // JupyterHub for a class (scripts/hub.sh): as root, with Debian's jupyterhub; skipped otherwise
      { test: { name: 'hub', include: ['test/hub/**/*.test.ts'], environment: 'node', testTimeout: 900_000, hookTimeout: 600_000 } }
    ]
  }
});
