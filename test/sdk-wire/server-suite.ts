import { afterAll, beforeAll } from 'vitest';
import type { TestDatabase } from '../helpers/databases.js';
import { management } from '../helpers/management.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { Wire } from './replay.js';
import { ServerClient, type ServerSdk } from './server-sdks.js';

export interface ServerSdkSuite {
  t: TestServer;
  wire: Wire;
  /** Requests as this server SDK writes them, with the tenant's API secret key. */
  sdk: ServerClient;
}

/**
 * For one describe block: a server on `db`, an action configuration that challenges `challengeAction`
 * (the action the SDK's own suite tracks), and a client that speaks as `profile`. Read the members
 * inside tests; they are set before the first one runs.
 */
export function useServerSdk(db: TestDatabase, profile: ServerSdk, challengeAction: string): ServerSdkSuite {
  const suite = {} as ServerSdkSuite;
  beforeAll(async () => {
    suite.t = await startTestServer(db);
    suite.wire = new Wire(suite.t.server.url);
    suite.sdk = new ServerClient(suite.wire, profile, suite.t.tenant.apiSecretKey);
    await management(suite.t.apiUrl, suite.t.tenant.managementSecretKey).createConfig(challengeAction, 'CHALLENGE');
  });
  afterAll(async () => {
    suite.wire?.close();
    await suite.t?.close();
  });
  return suite;
}
