import type { Logger } from 'pino';
import { ApiError } from '../../errors.js';
import type { Clock } from '../../lib/clock.js';
import { maskPhone } from '../../lib/phone.js';
import type { Random } from '../../lib/random.js';
import { phoneInput } from '../users/phone-input.js';
import type { SmsMessage } from './providers/provider.js';
import type { SmsStore } from './store.js';

/** The newest messages that the dev provider "sent", for `sigil dev inbox` and the dev HTTP route. */
export async function readInbox(
  store: SmsStore,
  tenantId: string | undefined,
  q: { to?: string | undefined; limit: number },
) {
  const rows = await store.readInbox(tenantId, {
    ...(q.to ? { to: phoneInput(q.to, 'to').e164 } : {}),
    limit: Math.min(Math.max(q.limit, 1), 500),
  });
  return rows.map((r) => ({
    tenantId: r.tenant_id,
    challengeId: r.challenge_id,
    to: r.to,
    body: r.body,
    createdAt: new Date(r.created_at).toISOString(),
  }));
}

/**
 * The dev provider's output: the message goes to the inbox and, when `logMessages` is on (development
 * only, by default), whole to the log, code included. Refused in production, where either would leak codes.
 */
export function devInbox(
  store: SmsStore,
  options: { production: boolean; logMessages: boolean },
  logger: Logger,
  clock: Clock,
  random: Random,
): (message: SmsMessage) => Promise<string> {
  return async (message) => {
    if (options.production) {
      throw new ApiError('invalid_configuration', 'The dev SMS provider is not available in production');
    }
    const id = random.uuid();
    await store.writeInbox({
      id,
      tenant_id: message.tenantId,
      challenge_id: message.challengeId,
      to: message.to,
      body: message.body,
      created_at: clock.now(),
    });
    if (options.logMessages) {
      logger.info({ to: message.to, body: message.body }, 'dev SMS (development only: includes the code)');
    } else {
      logger.debug({ to: maskPhone(message.to) }, 'dev SMS stored in the inbox');
    }
    return id;
  };
}
