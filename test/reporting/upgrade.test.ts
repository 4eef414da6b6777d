import { describe, expect, it } from 'vitest';
import { migrate, openDatabase } from '../../src/storage/db.js';
import { databases } from '../helpers/databases.js';

const HOUR = 3_600_000;
const at = Date.UTC(2026, 10, 1, 10);

/**
 * Migration 013 on a database that already holds sends: each attempt gets its status from its outcome and
 * final receipt, its user from the challenge, its destination from the decision record, verified_at on the
 * challenge's last accepted attempt, and the hourly cells count what is there.
 */
describe.each(databases)('upgrading to migration 013 ($name)', (db) => {
  it('fills the new columns and the hourly cells from what is stored', async () => {
    const env = db.env();
    const { db: k } = await openDatabase({ url: env.DATABASE_URL as string, schema: env.SIGIL_DATABASE_SCHEMA });
    try {
      await migrate(k, '012_activity');
      // biome-ignore lint/suspicious/noExplicitAny: the schema before 013 is not the current one.
      const old = k as any;
      await old.insertInto('tenants').values({ id: 't1', name: 'T', created_at: at }).execute();
      const challenge = (id: string, verified: number | null) => ({
        id,
        tenant_id: 't1',
        idempotency_key: `k-${id}`,
        user_id: `u-${id}`,
        action_code: 'signIn',
        verification_method: 'SMS',
        phone_number: '+64211234567',
        scope: null,
        locale: null,
        code_hash: 'x',
        attempts: 0,
        max_attempts: 5,
        send_count: 2,
        last_sent_at: at,
        created_at: at,
        expires_at: at + HOUR,
        verified_at: verified,
        claimed_at: null,
        claimed_user_id: null,
        failed_reason: null,
        authenticator_id: null,
      });
      await old
        .insertInto('challenges')
        .values([challenge('c1', at + 60_000), challenge('c2', null)])
        .execute();
      const send = (id: string, challengeId: string, attempt: number, outcome: string, created: number) => ({
        id,
        tenant_id: 't1',
        challenge_id: challengeId,
        provider: 'twilio',
        attempt,
        outcome,
        provider_message_id: outcome === 'accepted' ? `m-${id}` : null,
        error: outcome === 'accepted' ? null : 'invalid_number',
        latency_ms: 40,
        created_at: created,
      });
      await old
        .insertInto('sms_sends')
        .values([
          send('s1', 'c1', 1, 'accepted', at),
          send('s2', 'c1', 1, 'accepted', at + 30_000), // a resend: the one that converted
          send('s3', 'c2', 1, 'number', at),
        ])
        .execute();
      await old
        .insertInto('sms_receipts')
        .values({
          id: 'r1',
          tenant_id: 't1',
          provider: 'twilio',
          provider_message_id: 'm-s2',
          status: 'delivered',
          vendor_status: 'delivered',
          error_code: null,
          dedupe_key: 'd1',
          received_at: at + 32_000,
        })
        .execute();
      await old
        .insertInto('sms_decisions')
        .values({
          id: 'd1',
          tenant_id: 't1',
          at,
          kind: 'send',
          outcome: 'allowed',
          defence: null,
          challenge_id: 'c1',
          phone_number: '+64211234567',
          country: 'NZ',
          prefix: '6421',
          ip_address: null,
          user_id: 'u-c1',
          provider: null,
        })
        .execute();

      await migrate(k);
      const rows = await k.selectFrom('sms_sends').selectAll().orderBy('id').execute();
      expect(rows.map((r) => [r.id, r.status, r.user_id, r.country, r.prefix, r.verified_at === null])).toEqual([
        ['s1', 'sent', 'u-c1', 'NZ', '6421', true],
        ['s2', 'delivered', 'u-c1', 'NZ', '6421', false],
        ['s3', 'failed', 'u-c2', null, null, true],
      ]);
      expect(Number(rows[1]?.status_at)).toBe(at + 32_000);
      const cells = await k.selectFrom('sms_hourly').selectAll().execute();
      expect(cells.reduce((n, c) => n + Number(c.count), 0)).toBe(3);
      expect(cells.find((c) => c.status === 'delivered')).toMatchObject({ verified: 1, bucket: 3 }); // 2 s: the (1 s, 2 s] bucket
    } finally {
      await k.destroy();
    }
  });
});
