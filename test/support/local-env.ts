import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { type Config, loadConfig } from '#shared/config.ts';
import { type FredServer, type FredServerOptions, startFredServer, TEST_FRED_KEY } from './fred-server.ts';

/** Environment for a fast local pipeline in tests: millisecond FRED backoff, 1 s visibility, 2 receives. */
export const testEnv = (
  dataDir: string,
  fredUrl: string,
  extra: Record<string, string> = {},
): Record<string, string> => ({
  FREDLAKE_DATA_DIR: dataDir,
  FRED_API_URL: fredUrl,
  FRED_API_KEY: TEST_FRED_KEY,
  FRED_MIN_INTERVAL_MS: '5',
  FRED_BASE_DELAY_MS: '1',
  FRED_MAX_DELAY_MS: '5',
  FRED_MAX_ATTEMPTS: '2',
  FRED_TIMEOUT_MS: '5000',
  FREDLAKE_VISIBILITY_TIMEOUT_S: '1',
  FREDLAKE_MAX_RECEIVE_COUNT: '2',
  LOG_LEVEL: 'SILENT',
  ...extra,
});

export const testConfig = (dataDir: string, fredUrl: string, extra: Record<string, string> = {}): Config =>
  loadConfig(testEnv(dataDir, fredUrl, extra));

export const makeTempDir = (prefix = 'fredlake-test-'): Promise<string> => mkdtemp(join(tmpdir(), prefix));

export const removeDir = (dir: string): Promise<void> => rm(dir, { recursive: true, force: true });

/**
 * The usual end-to-end setup: a fresh synthetic FRED and an empty data directory for every test, closed and removed
 * after it. Read `server` and `dataDir` inside the tests (they change from test to test).
 */
export const useFredAndDataDir = (
  options: FredServerOptions,
): { readonly server: FredServer; readonly dataDir: string } => {
  const current: { server?: FredServer; dataDir?: string } = {};
  beforeEach(async () => {
    current.server = await startFredServer(options);
    current.dataDir = await makeTempDir();
  });
  afterEach(async () => {
    await current.server?.close();
    if (current.dataDir) await removeDir(current.dataDir);
  });
  return {
    get server(): FredServer {
      if (!current.server) throw new Error('useFredAndDataDir: read server inside a test');
      return current.server;
    },
    get dataDir(): string {
      if (!current.dataDir) throw new Error('useFredAndDataDir: read dataDir inside a test');
      return current.dataDir;
    },
  };
};
