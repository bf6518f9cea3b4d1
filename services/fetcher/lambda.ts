// Lambda entry (CDK bundles this file): the only place with side effects.
import { loadConfig } from '#shared/config.ts';
import { createDeps } from '#shared/deps.ts';
import { lazyHandler } from '#shared/lambda/lazy-handler.ts';
import { createFetcherHandler } from './handler.ts';

export const handler = lazyHandler(async () => createFetcherHandler(await createDeps(loadConfig(process.env))));
