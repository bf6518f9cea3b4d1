// Lambda entry (CDK bundles this file): the only place with side effects.
import { loadConfig } from '#shared/config.ts';
import { createDeps } from '#shared/deps.ts';
import { createTransformerHandler } from './handler.ts';

export const handler = createTransformerHandler(createDeps(loadConfig(process.env)));
