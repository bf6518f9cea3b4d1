// Lambda entry (CDK bundles this file): the only place with side effects.
import { loadConfig } from '#shared/config.ts';
import { createDeps } from '#shared/deps.ts';
import { createFetcherHandler } from './handler.ts';

export const handler = createFetcherHandler(createDeps(loadConfig(process.env)));
