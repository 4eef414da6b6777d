import { ApiError } from '../../../errors.js';
import type { ProviderDefinition } from './provider.js';
import { configSchema, perRules, typeField } from './schema.js';

const schema = perRules(() =>
  configSchema('Development inbox', 'Development only: messages go to the dev inbox and the log.', {
    type: typeField('dev'),
  }),
);

/**
 * For development: the message goes to the development inbox, which `sigil dev inbox` prints and the
 * server may log. Refused in production, where a code in a log or a table would be a leak; the inbox
 * itself refuses there too (see deps.ts), should a stored config name this provider.
 */
export const devProvider: ProviderDefinition<{ type: 'dev' }> = {
  type: 'dev',
  title: 'Development inbox',
  schema: (rules) => schema(rules),
  parse(_raw, rules) {
    if (rules.production) {
      throw new ApiError('invalid_request', 'The dev SMS provider is not available when NODE_ENV=production');
    }
    return { type: 'dev' };
  },
  mask: (config) => ({ ...config }),
  create(_config, ctx) {
    return {
      type: 'dev',
      async send(message) {
        return { providerMessageId: await ctx.devInbox(message) };
      },
    };
  },
};
