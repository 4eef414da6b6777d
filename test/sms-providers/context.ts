import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import {
  type ParseRules,
  type ProviderContext,
  type SmsMessage,
  SmsSendError,
} from '../../src/modules/sms/providers/provider.js';
import { startFakeServer } from '../fakes/common.js';

/** How a development server checks provider configs: loopback base URLs allowed (the fakes listen there). */
export function parseRules(): ParseRules {
  return { production: false, allowLoopback: true };
}

/**
 * A ProviderContext for adapters alone: loopback allowed (the fakes listen there). Receipts
 * go to a fixed per-vendor URL on a closed loopback port, or to `receiptUrl` when given.
 */
export function adapterContext(now: () => number = Date.now, receiptUrl?: string): ProviderContext {
  return {
    now,
    uuid: randomUUID,
    serverSecrets: async () => ['secret'],
    policy: { allowLoopback: true, allowPrivateNetworks: false },
    receiptUrl: (type, tenantId) => receiptUrl ?? `http://127.0.0.1:9/v1/sms-receipts/${type}/${tenantId}/token`,
    devInbox: async () => randomUUID(),
  };
}

export function message(to: string, overrides: Partial<SmsMessage> = {}): SmsMessage {
  const challengeId = randomUUID();
  return {
    tenantId: 'tenant-1',
    challengeId,
    sendId: `${challengeId}-1`,
    to,
    body: `Your Sigil verification code is 123456. It expires in 10 minutes. (${challengeId.slice(0, 8)})`,
    code: '123456',
    userId: null,
    idempotencyKey: randomUUID(),
    actionCode: 'signIn',
    locale: null,
    expiresAt: Date.now() + 600_000,
    ...overrides,
  };
}

/** The SmsSendError that `promise` must reject with; the test fails if it resolves or throws anything else. */
export function failure(promise: Promise<unknown>): Promise<SmsSendError> {
  return promise.then(
    () => expect.fail('the send should have failed'),
    (err: unknown) => {
      expect(err).toBeInstanceOf(SmsSendError);
      return err as SmsSendError;
    },
  );
}

/** A local server standing in for Sigil's receipt endpoint: answers 200 and records what vendors post. */
export function startReceiptSink() {
  return startFakeServer((_req, res) => {
    res.writeHead(200).end();
  });
}
