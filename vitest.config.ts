import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.spec.ts'],
    // Integration tests start real brokers' consumers, SMTP servers and worker processes.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: one file per core keeps the broker and SQLite from starving each other.
    maxWorkers: 2,
  },
});
