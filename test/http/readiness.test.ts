import { describe, expect, it } from 'vitest';
import { databases } from '../helpers/databases.js';
import { startTestServer } from '../helpers/server.js';

describe.each(databases)('/readyz (%s)', (db) => {
  it('is ready while the database answers, and a 503 with an error body once it does not', async () => {
    const t = await startTestServer(db);
    try {
      const ready = await fetch(`${t.server.url}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ status: 'ready', database: db.name });
      await t.server.deps.db.destroy();
      const down = await fetch(`${t.server.url}/readyz`);
      expect(down.status).toBe(503);
      expect(down.headers.get('content-type')).toBe('application/json');
      expect(await down.json()).toEqual({
        error: 'service_unavailable',
        errorCode: 'service_unavailable',
        errorDescription: 'The database is unreachable',
      });
    } finally {
      await t.server.app.close();
    }
  });
});
