import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databases } from '../helpers/databases.js';
import { management } from '../helpers/management.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * Settings stored before the route contracts could hold any JSON. A value that the response schema
 * cannot serialise is left out of the view rather than turning every read into a 500.
 */
describe.each(databases)('stored action settings of any shape (%s)', (db) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(db);
  });
  afterAll(() => t.close());

  it('shows the well-typed settings of a row and leaves out the rest, for the config and its rules', async () => {
    const m = management(t.apiUrl, t.tenant.managementSecretKey);
    await m.createConfig('legacy', 'CHALLENGE');
    const rule = await m.createRule('legacy', { name: 'r', type: 'BLOCK', conditions: { '==': [1, 1] } });
    const settings = JSON.stringify({
      verificationMethods: 'SMS',
      defaultVerificationMethod: 5,
      verificationWebhookUrl: 'https://hooks.example.com/verify',
      promptToEnrollVerificationMethods: ['SMS'],
    });
    await t.server.deps.db.updateTable('action_configurations').set({ settings }).execute();
    await t.server.deps.db.updateTable('rules').set({ settings }).execute();

    const { status, body: config } = await m.request<Record<string, unknown>>('GET', '/legacy');
    expect(status).toBe(200);
    expect(config).toMatchObject({
      actionCode: 'legacy',
      verificationWebhookUrl: 'https://hooks.example.com/verify',
      promptToEnrollVerificationMethods: ['SMS'],
    });
    expect(config).not.toHaveProperty('verificationMethods');
    expect(config).not.toHaveProperty('defaultVerificationMethod');
    const list = await m.request<unknown[]>('GET', '');
    expect(list).toMatchObject({ status: 200, body: [expect.anything()] });
    const { body: read } = await m.request<Record<string, unknown>>('GET', `/legacy/rules/${rule.ruleId}`);
    expect(read).toMatchObject({ promptToEnrollVerificationMethods: ['SMS'] });
    expect(read).not.toHaveProperty('defaultVerificationMethod');
    const { body: patched } = await m.request<Record<string, unknown>>('PATCH', '/legacy', {
      verificationMethods: ['SMS'],
    });
    expect(patched).toMatchObject({
      verificationMethods: ['SMS'],
      verificationWebhookUrl: 'https://hooks.example.com/verify',
    });
  });
});
