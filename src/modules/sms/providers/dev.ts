import { ApiError } from '../../../errors.js';
import { maskPhone } from '../../../lib/phone.js';
import type { ProviderDefinition } from './provider.js';

/**
 * For development: the message goes to the log and to an inbox table that `sigil dev inbox` prints.
 * It refuses to run in production, where a code in a log or a table would be a leak.
 */
export const devProvider: ProviderDefinition<{ type: 'dev' }> = {
  type: 'dev',
  parse(_raw, config) {
    if (config.env === 'production') {
      throw new ApiError('invalid_request', 'The dev SMS provider is not available when NODE_ENV=production');
    }
    return { type: 'dev' };
  },
  mask: (config) => ({ ...config }),
  create(_config, ctx) {
    return {
      type: 'dev',
      async send(message) {
        if (ctx.config.env === 'production') {
          throw new ApiError('invalid_configuration', 'The dev SMS provider is not available in production');
        }
        const id = ctx.uuid();
        await ctx.db
          .insertInto('dev_inbox')
          .values({
            id,
            tenant_id: message.tenantId,
            challenge_id: message.challengeId,
            to: message.to,
            body: message.body,
            created_at: ctx.now(),
          })
          .execute();
        if (ctx.config.sms.devLogMessages) {
          ctx.logger.info({ to: message.to, body: message.body }, 'dev SMS (development only: includes the code)');
        } else {
          ctx.logger.debug({ to: maskPhone(message.to) }, 'dev SMS stored in the inbox');
        }
        return { providerMessageId: id };
      },
    };
  },
};
