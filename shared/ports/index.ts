export type * from './catalog.ts';
export type * from './clock.ts';
export type * from './failure-log.ts';
export type * from './metrics.ts';
export type * from './object-store.ts';
export type * from './queue.ts';
