/**
 * The wire contract, v1: plain interfaces for every JSON shape the SDK sends and the server answers.
 * Both sides import these; the server's TypeBox schemas are tied to them by type tests.
 * Names already published in the SDK reference are frozen.
 */
export type * from './wire-metadata';
export type * from './wire-end-users';
export type * from './wire-subscriptions';
export type * from './wire-usage';
export type * from './wire-prices';
export type * from './wire-cost-attribution';
export type * from './wire-errors';
