import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts', 'test/portal-ui/build-portal.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: more workers only adds contention on the shared SQLite files and PostgreSQL.
    maxWorkers: 2,
  },
});
