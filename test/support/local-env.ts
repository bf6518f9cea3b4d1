import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Config, loadConfig } from '#shared/config.ts';
import { TEST_FRED_KEY } from './fred-server.ts';

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
