import { dropTestSchemas } from './helpers/databases.js';

/** PostgreSQL test schemas are dropped before the run (leftovers of an interrupted one) and after it. */
export async function setup(): Promise<void> {
  await dropTestSchemas();
}

export async function teardown(): Promise<void> {
  await dropTestSchemas();
}
