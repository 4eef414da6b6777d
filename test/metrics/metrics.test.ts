import { describe, expect, it } from 'vitest';
import { databases } from '../helpers/databases.js';
import { startTestServer } from '../helpers/server.js';

describe.each(databases)('/metrics on $name', (db) => {
  it('needs the bearer token when one is set, and apps do not mix', async () => {
    const a = await startTestServer(db, { SIGIL_METRICS_TOKEN: 'secret-token' });
    const b = await startTestServer(db);
    try {
      expect((await fetch(`${a.server.url}/metrics`)).status).toBe(401);
      const bad = await fetch(`${a.server.url}/metrics`, { headers: { authorization: 'Bearer nope' } });
      expect(bad.status).toBe(401);
      expect(await bad.json()).toMatchObject({ error: 'unauthorized' });
      await a.sdk.track({ userId: 'u-metrics-1', action: 'signIn' });
      const scraped = await fetch(`${a.server.url}/metrics`, { headers: { authorization: 'Bearer secret-token' } });
      expect(scraped.status).toBe(200);
      const text = await scraped.text();
      expect(text).toMatch(/sigil_track_outcomes_total\{action="signIn",outcome="[A-Z_]+"\} 1/);
      expect(text).not.toContain('u-metrics-1');
      const other = await (await fetch(`${b.server.url}/metrics`)).text();
      expect(other).not.toMatch(/sigil_track_outcomes_total\{/);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('is not served with SIGIL_METRICS=off', async () => {
    const t = await startTestServer(db, { SIGIL_METRICS: 'off' });
    try {
      expect((await fetch(`${t.server.url}/metrics`)).status).toBe(404);
    } finally {
      await t.close();
    }
  });
});
