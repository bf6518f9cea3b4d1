// Lambda entry (CDK bundles this file): the only place with side effects. Invoked by the nightly EventBridge rule.
import { loadConfig } from '#shared/config.ts';
import { createDeps } from '#shared/deps.ts';
import { createGapAuditorHandler } from './handler.ts';

export const handler = createGapAuditorHandler(createDeps(loadConfig(process.env)));
