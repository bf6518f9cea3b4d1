import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { configFrom } from '#cli/options.ts';
import type { Config } from '#shared/config.ts';
import { isoDateOf } from '#shared/domain/calendar.ts';
import { type FredServer, startFredServer, TEST_FRED_KEY } from '#test/support/fred-server.ts';

/** Fast retries and short visibility timeouts, so a FRED outage ends in the DLQ in about a second. */
export const FAST_ENV = {
  FRED_MIN_INTERVAL_MS: '10',
  FRED_BASE_DELAY_MS: '1',
  FRED_MAX_DELAY_MS: '5',
  FRED_MAX_ATTEMPTS: '2',
  FREDLAKE_VISIBILITY_TIMEOUT_S: '1',
  FREDLAKE_MAX_RECEIVE_COUNT: '2',
  LOG_LEVEL: 'SILENT',
};

export interface OpsFixture {
  server: FredServer;
  root: string;
  /** The environment a CLI subprocess needs to reach the synthetic FRED. */
  env: NodeJS.ProcessEnv;
  /** A config for a fresh data directory under the fixture's root. */
  config: (name: string) => Config;
  close: () => Promise<void>;
}

/** A synthetic FRED with a one-year SP500 window (about 365 partitions) whose today is the real today. */
export const openOpsFixture = async (): Promise<OpsFixture> => {
  const server = await startFredServer({ today: isoDateOf(new Date()), windowYears: 1 });
  const root = await mkdtemp(join(tmpdir(), 'fredlake-ops-'));
  const env = { ...process.env, ...FAST_ENV, FRED_API_URL: server.url, FRED_API_KEY: TEST_FRED_KEY };
  return {
    server,
    root,
    env,
    config: (name) => configFrom({ dataDir: join(root, name) }, env),
    close: async () => {
      await server.close();
      await rm(root, { recursive: true, force: true });
    },
  };
};

/** Every file under dir (relative paths, sorted), skipping the metadata sidecars and the SQLite files. */
export const listFiles = async (dir: string): Promise<string[]> => {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
};
