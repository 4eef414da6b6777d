import { Type } from '@sinclair/typebox';
import { AnyObject, Body, IsoDate, NonEmpty, Nullable, Opt, Params, Query, Reply, Str } from '../../http/contract.js';
import { providerTypes } from './providers/index.js';

/** The Management API's SMS contracts: providers, the provider test, delivery timelines, the dev inbox. */

/**
 * One provider config as sent. Free-form beyond `type`, because each vendor has its own fields: the
 * vendor's adapter checks them all and names the bad one, which a schema union could not do as clearly.
 * Configs are stored encrypted as one document, so no member reaches a column.
 */
const ProviderConfigIn = Type.Object(
  { type: NonEmpty(32) },
  { additionalProperties: true, description: `A provider config; type is one of ${providerTypes().join(', ')}.` },
);

export const ProvidersRequest = Body({ providers: Type.Array(ProviderConfigIn, { maxItems: 100 }) });

/** A config as an operator sees it: each vendor's own fields, credentials masked. */
const ProviderConfigOut = Type.Object(
  {
    type: Type.String(),
    id: Type.Optional(
      Type.String({ description: 'Stable across saves: send it back to edit this provider (and keep its secrets).' }),
    ),
    receiptUrl: Type.Optional(Type.String({ description: "Where to point the vendor's delivery reports." })),
  },
  { additionalProperties: true },
);

export const ProvidersReply = Reply({ providers: Type.Array(ProviderConfigOut) });

export const ProviderTestRequest = Body({
  phoneNumber: NonEmpty(64),
  provider: Opt(
    Type.Union([
      Type.Integer({ minimum: 0, maximum: 99, description: 'The index of a configured provider.' }),
      ProviderConfigIn,
    ]),
  ),
});

const Attempt = Reply({
  attempt: Type.Integer(),
  outcome: Type.String(),
  error: Nullable(Type.String()),
  providerMessageId: Nullable(Type.String()),
  latencyMs: Type.Number(),
});

export const ProviderTestReply = Reply({
  provider: Type.String(),
  outcome: Type.String({ description: 'accepted or failed' }),
  message: Type.String({ description: 'The result in plain words, for an operator.' }),
  providerMessageId: Type.Optional(Type.String()),
  error: Type.Optional(Reply({ kind: Type.String(), reason: Type.String(), message: Type.String() })),
  attempts: Type.Array(Attempt),
});

export const ChallengeParams = Params({ challengeId: NonEmpty(64) });

const TimelineEntry = Reply({
  attempt: Type.Integer(),
  provider: Type.String(),
  outcome: Type.String(),
  error: Nullable(Type.String()),
  providerMessageId: Nullable(Type.String()),
  latencyMs: Type.Number(),
  createdAt: IsoDate(),
  deliveryStatus: Nullable(Type.String({ description: 'sent, delivered or failed; null until a receipt arrives' })),
  receipts: Type.Array(
    Reply({
      status: Type.String(),
      vendorStatus: Type.String(),
      errorCode: Nullable(Type.String()),
      receivedAt: IsoDate(),
    }),
  ),
});

export const DeliveriesReply = Reply({ challengeId: Type.String(), attempts: Type.Array(TimelineEntry) });

export const InboxQuery = Query({ to: Opt(Str(64)), limit: Opt(Type.String({ pattern: '^[0-9]{1,3}$' })) });

export const InboxReply = Reply({
  messages: Type.Array(
    Reply({
      tenantId: Type.String(),
      challengeId: Type.String(),
      to: Type.String(),
      body: Type.String(),
      createdAt: IsoDate(),
    }),
  ),
});

/** `POST /v1/sms-receipts/:type/:tenantId/:token`: strings without NUL, as every parameter. */
export const ReceiptParams = Params({ type: NonEmpty(32), tenantId: NonEmpty(64), token: NonEmpty(64) });

export const ReceiptReply = Reply({
  received: Type.Integer({ description: 'Receipts read from the callback' }),
  stored: Type.Integer({ description: 'Of those, the ones not seen before' }),
});

export const ProviderSchemasReply = Reply({
  providers: Type.Array(
    Reply({
      type: Type.String(),
      title: Type.String(),
      schema: AnyObject(
        'The JSON Schema of its config: the one PUT /sms-providers validates with. Secret fields are writeOnly.',
      ),
      secretFields: Type.Array(Type.String(), { description: 'Masked when shown; left blank to keep.' }),
      receiptUrl: Nullable(Type.String({ description: "This tenant's URL for the vendor's delivery receipts." })),
      receiptHelp: Nullable(Type.String({ description: 'What to do with receiptUrl, if anything.' })),
    }),
  ),
});

export const ProviderHealthReply = Type.Array(
  Reply({
    index: Type.Integer(),
    id: Type.String(),
    type: Type.String(),
    name: Type.String(),
    breaker: Type.Union([Type.Literal('closed'), Type.Literal('open'), Type.Literal('half_open')]),
    lastFailureAt: Nullable(IsoDate()),
    lastError: Nullable(Type.String({ description: 'In plain words; never a secret or a phone number.' })),
  }),
);
