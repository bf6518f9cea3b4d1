// Lambda entry (CDK bundles this file): the only place with side effects.
import { loadConfig } from '#shared/config.ts';
import { createDeps } from '#shared/deps.ts';
import { createWriterHandler } from './handler.ts';

export const handler = createWriterHandler(createDeps(loadConfig(process.env)));
