import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Deps } from '../../deps.js';
import { ApiError, notFound } from '../../errors.js';
import { responses } from '../../http/contract.js';
import { ReceiptParams, ReceiptReply } from './contracts.js';
import { providerDefinition } from './providers/index.js';
import { ReceiptRefused } from './providers/provider.js';
import { validReceiptToken } from './receipt-url.js';
import { recordReceipts } from './receipts.js';

const MAX_RECEIPT_BYTES = 64 * 1024;

/**
 * `POST /v1/sms-receipts/:type/:tenantId/:token`: delivery receipts from SMS vendors. No API key: the
 * secret token in the URL authenticates the vendor, and a vendor that signs its callbacks (Twilio, Bird)
 * must sign this one too. The body is kept raw, whatever its type, because signatures cover its bytes.
 */
export const smsReceiptRoutes: FastifyPluginAsyncTypebox<{ deps: Deps }> = async (app, { deps }) => {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: MAX_RECEIPT_BYTES }, (_req, body, done) =>
    done(null, body),
  );

  app.post(
    '/sms-receipts/:type/:tenantId/:token',
    {
      schema: {
        tags: ['SMS receipts'],
        description: "A vendor's delivery report. The body is read raw, in the vendor's own format.",
        params: ReceiptParams,
        response: responses(ReceiptReply),
      },
    },
    async (req, reply) => {
      const { type, tenantId, token } = req.params;
      const definition = providerDefinition(type);
      if (!definition?.readReceipt) throw notFound(`${type} does not send delivery receipts to Sigil`);
      if (!validReceiptToken(deps.keyring, tenantId, type, token)) {
        throw new ApiError('unauthorized', 'This receipt URL is not valid');
      }
      const configs = (await deps.smsConfig.list(tenantId)).filter((c) => c.type === type);
      if (configs.length === 0) throw notFound(`No ${type} provider is configured`);
      // What the vendor signed: the public URL that Sigil gave it, which the path and query complete.
      const url = `${deps.config.apiUrl.replace(/\/v1$/, '')}${req.url}`;
      const rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      let receipts: ReturnType<NonNullable<typeof definition.readReceipt>>;
      try {
        receipts = definition.readReceipt({ url, headers: req.headers, rawBody }, configs, deps.clock.now());
      } catch (err) {
        if (err instanceof ReceiptRefused) {
          req.log.warn({ provider: type, tenantId, reason: err.message }, 'SMS receipt refused');
          throw new ApiError('unauthorized', `The receipt's signature is not valid: ${err.message}`, { cause: err });
        }
        throw new ApiError('invalid_request', 'The receipt could not be read', { cause: err });
      }
      const stored = await recordReceipts(deps.db, tenantId, type, receipts, deps.clock.now(), () =>
        deps.random.uuid(),
      );
      return reply.send({ received: receipts.length, stored });
    },
  );
};
