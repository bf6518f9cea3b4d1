import { defineConfig } from 'vitest/config';

/** `npm run test:chaos`: the long chaos mode (CHAOS_MODE=long), alone, with room for hundreds of seeded runs. */
export default defineConfig({
  test: {
    include: ['test/chaos/**/*.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
