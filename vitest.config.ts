import { defineConfig } from 'vitest/config';

export default defineConfig({
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
