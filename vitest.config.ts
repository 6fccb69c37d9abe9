import { defineConfig } from 'vitest/config';

export default defineConfig({
  // tfjs-node is an optional peer that is not installed here: left to Vite, its dynamic import
  // becomes a stub that throws a code-less "Could not resolve", which src/inference/backend.ts
  // cannot tell from a broken install (it warns). Kept external, Node's own import fails with
  // ERR_MODULE_NOT_FOUND, as it does outside the tests.
  plugins: [
    {
      name: 'vigil:tfjs-node-external',
      enforce: 'pre',
      resolveId: (id: string) => (id === '@tensorflow/tfjs-node' ? { id, external: true } : null),
    },
  ],
  test: {
    include: ['test/**/*.test.ts', 'topologies/**/*.test.ts', 'src/**/*.test.ts'],
    // TF.js training and real services are slow on 2 cores; one file at a time keeps the
    // machine responsive and the service tests from racing each other.
    fileParallelism: false,
    globalSetup: ['test/setup/build.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
