import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { responses } from '../../http/contract.js';
import { ReceiptParams, ReceiptReply } from './contracts.js';
import { acceptReceipt, type ReceiptDeps } from './receipts.js';

const MAX_RECEIPT_BYTES = 64 * 1024;

/**
 * `POST /v1/sms-receipts/:type/:tenantId/:token`: delivery receipts from SMS vendors, authenticated by
 * the URL's token and the vendor's signature (see acceptReceipt). The body is kept raw, whatever its
 * type, because signatures cover its bytes.
 */
export const smsReceiptRoutes: FastifyPluginAsyncTypebox<{ deps: ReceiptDeps }> = async (app, { deps }) => {
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
    (req) =>
      acceptReceipt(
        deps,
        {
          ...req.params,
          target: req.url,
          headers: req.headers,
          rawBody: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
        },
        (reason) =>
          req.log.warn({ provider: req.params.type, tenantId: req.params.tenantId, reason }, 'SMS receipt refused'),
      ),
  );
};
