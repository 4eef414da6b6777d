import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databases } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { createOperator, PASSWORD, PortalClient } from './portal-client.js';

describe.each(databases)('the session cookie behind https ($name)', { timeout: 60_000 }, (db) => {
  let t: TestServer;
  beforeAll(async () => {
    // Served over http here, as behind a TLS-terminating proxy; the public URL is what decides.
    t = await startTestServer(db, { SIGIL_PUBLIC_URL: 'https://sigil.example.com' });
  });
  afterAll(() => t.close());

  it('is __Host-sigil_portal, Secure, HttpOnly, SameSite=Strict, Path=/ and has no Domain', async () => {
    const operator = await createOperator(t, 'viewer');
    const client = new PortalClient(t.server.url, '__Host-sigil_portal');
    const res = await client.signIn(operator.email, PASSWORD);
    expect(res.status).toBe(200);
    const [cookie] = res.headers.getSetCookie();
    expect(cookie).toMatch(/^__Host-sigil_portal=[A-Za-z0-9_-]{43}; /);
    const attributes = (cookie ?? '').split('; ').slice(1);
    expect(attributes).toEqual(expect.arrayContaining(['Path=/', 'HttpOnly', 'Secure', 'SameSite=Strict']));
    expect(attributes.some((a) => /^Domain=/i.test(a))).toBe(false);
    expect((await client.me()).status).toBe(200);
    // The plain name is not read when the public URL is https.
    const plain = new PortalClient(t.server.url, 'sigil_portal');
    plain.cookie = client.cookie;
    expect((await plain.me()).status).toBe(401);
  });
});
