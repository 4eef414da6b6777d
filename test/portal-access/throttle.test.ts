import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/lib/clock.js';
import { databases } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { createOperator, PASSWORD, PortalClient, signedIn, uniqueEmail } from './portal-client.js';

let ipSeq = 0;
/** A client behind its own address: the server trusts X-Forwarded-For here, as behind a load balancer. */
function fromNewIp(t: TestServer) {
  ipSeq += 1;
  const ip = `198.51.100.${ipSeq}`;
  const client = new PortalClient(t.server.url);
  const signIn = (email: string, password: string) =>
    client.request('POST', '/v1/portal/sign-in', { body: { email, password }, headers: { 'x-forwarded-for': ip } });
  return { client, signIn };
}

describe.each(databases)('portal sign-in throttling ($name)', { timeout: 120_000 }, (db) => {
  let t: TestServer;
  const clock = new ManualClock(Date.now());
  beforeAll(async () => {
    t = await startTestServer(db, { SIGIL_TRUST_PROXY: 'true' }, { clock });
  });
  beforeEach(() => clock.advance(16 * 60_000)); // every window of the test before has ended
  afterAll(() => t.close());

  it('answers an unknown email exactly as a wrong password, in about the same time', async () => {
    const operator = await createOperator(t, 'viewer');
    const { signIn } = fromNewIp(t);
    const timed = async (email: string) => {
      const started = performance.now();
      const res = await signIn(email, 'not the password at all');
      return { res, ms: performance.now() - started };
    };
    const wrong: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 4; i += 1) {
      const a = await timed(operator.email);
      const b = await timed(uniqueEmail('nobody'));
      expect(a.res.status).toBe(401);
      expect(b.res.status).toBe(401);
      expect(b.res.body).toEqual(a.res.body);
      expect(a.res.body).toEqual({
        error: 'unauthorized',
        errorCode: 'unauthorized',
        errorDescription: 'The email or password is not right.',
      });
      wrong.push(a.ms);
      unknown.push(b.ms);
    }
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] ?? 0;
    // Without the dummy hash an unknown email would answer in a small fraction of argon2id's time.
    // The gap without it is more than tenfold, so a fifth leaves room for a loaded machine.
    expect(median(unknown)).toBeGreaterThan(median(wrong) * 0.2);
  });

  it('refuses an account after 10 failures in 15 minutes, the right password too, the same for an unknown one', async () => {
    const operator = await createOperator(t, 'viewer');
    const ghost = uniqueEmail('ghost');
    for (const email of [operator.email, ghost]) {
      // A new address for every attempt: only the account's budget is spent.
      for (let i = 0; i < 10; i += 1) expect((await fromNewIp(t).signIn(email, 'wrong password!')).status).toBe(401);
      const refused = await fromNewIp(t).signIn(email, 'wrong password!');
      expect(refused.status).toBe(429);
      expect(refused.body.errorCode).toBe('too_many_requests');
      const retryAfter = Number(refused.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(15 * 60);
    }
    expect((await fromNewIp(t).signIn(operator.email, PASSWORD)).status).toBe(429);
    // The same answer whether the account exists.
    const a = await fromNewIp(t).signIn(operator.email, 'x');
    const b = await fromNewIp(t).signIn(ghost, 'x');
    expect(b.status).toBe(a.status);
    expect(b.body).toEqual(a.body);
    clock.advance(15 * 60_000);
    expect((await fromNewIp(t).signIn(operator.email, PASSWORD)).status).toBe(200);
  });

  it('refuses an address after 50 attempts in 15 minutes, whichever accounts they name', async () => {
    const operator = await createOperator(t, 'viewer');
    const { signIn } = fromNewIp(t);
    for (let i = 0; i < 50; i += 1) expect((await signIn(uniqueEmail('spray'), 'password guess')).status).toBe(401);
    const refused = await signIn(operator.email, PASSWORD);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another address is not affected.
    expect((await fromNewIp(t).signIn(operator.email, PASSWORD)).status).toBe(200);
  });

  it('counts simultaneous guesses exactly: no more than 10 are ever checked', async () => {
    const operator = await createOperator(t, 'viewer');
    const results = await Promise.all(
      Array.from({ length: 25 }, () => fromNewIp(t).signIn(operator.email, 'wrong password!')),
    );
    expect(results.filter((r) => r.status === 401)).toHaveLength(10);
    expect(results.filter((r) => r.status === 429)).toHaveLength(15);
  });

  it('throttles re-authentication per account', async () => {
    const { client } = await signedIn(t, 'viewer');
    for (let i = 0; i < 10; i += 1) {
      expect((await client.request('POST', '/v1/portal/reauthenticate', { body: { password: 'nope' } })).status).toBe(
        403,
      );
    }
    const refused = await client.request('POST', '/v1/portal/reauthenticate', { body: { password: PASSWORD } });
    expect(refused.status).toBe(429);
  });
});
