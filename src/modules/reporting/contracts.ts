import { Type } from '@sinclair/typebox';
import { Body, IsoDate, Nullable, Opt, Query, Reply, Str } from '../../http/contract.js';
import { PageQuery } from '../activity/contracts.js';

const Text = () => Type.String();
const Status = () =>
  Type.Union([Type.Literal('sent'), Type.Literal('delivered'), Type.Literal('failed'), Type.Literal('refused')]);
const NText = () => Nullable(Type.String());
const Instant = (description: string) => Opt({ ...Str(40), description });

export const MessagesQuery = Query({
  ...PageQuery.properties,
  from: Instant('An ISO 8601 instant; default: no lower bound.'),
  to: Instant('An ISO 8601 instant, exclusive; default: now.'),
  status: Opt(Status()),
  provider: Opt(Str(40)),
  country: Opt({ ...Str(2), description: 'ISO 3166 alpha-2, such as NZ.' }),
  prefix: Opt({ ...Str(12), description: 'The calling code and two digits, with or without +: +6421.' }),
  userId: Opt(Str(255)),
  challengeId: Opt(Str(255)),
});

export const MessagesReply = Reply({
  items: Type.Array(
    Reply({
      id: Text(),
      at: IsoDate(),
      phoneNumber: Type.String({ description: 'Always masked.' }),
      country: NText(),
      prefix: NText(),
      provider: NText(),
      status: Status(),
      vendorError: NText(),
      reason: NText(),
      challengeId: NText(),
      userId: NText(),
      segments: Nullable(Type.Integer()),
    }),
  ),
  nextCursor: NText(),
});

const Range = {
  from: Instant('An ISO 8601 instant; default: 7 days before `to`.'),
  to: Instant('An ISO 8601 instant, exclusive; default: now. At most 31 days after `from`.'),
};

export const SummaryQuery = Query({
  ...Range,
  groupBy: Opt(
    Type.Union([Type.Literal('day'), Type.Literal('country'), Type.Literal('prefix'), Type.Literal('provider')]),
  ),
});

const Figures = {
  sent: Type.Integer({ description: 'Codes a provider accepted.' }),
  delivered: Type.Integer(),
  failed: Type.Integer({ description: 'Attempts refused by the vendor or failed by the carrier.' }),
  refused: Type.Integer({ description: "Sends refused by Sigil's limits." }),
  verified: Type.Integer(),
  conversion: Nullable(Type.Number({ description: 'verified ÷ sent; null when nothing was sent.' })),
  latencyP50Ms: Nullable(Type.Number()),
  latencyP95Ms: Nullable(Type.Number()),
  segments: Type.Integer(),
  estimatedCost: Nullable(Type.Number({ description: 'Null without a price table.' })),
};

export const SummaryReply = Reply({
  from: IsoDate(),
  to: IsoDate(),
  groupBy: Text(),
  currency: NText(),
  rows: Type.Array(Reply({ key: Text(), ...Figures })),
  totals: Reply(Figures),
  failuresByReason: Type.Array(Reply({ provider: Text(), reason: Text(), words: Text(), count: Type.Integer() })),
  refusalsByLimit: Type.Array(Reply({ defence: Text(), words: Text(), count: Type.Integer() })),
});

export const OutcomesQuery = Query({
  ...Range,
  groupBy: Opt(Type.Union([Type.Literal('day'), Type.Literal('action')])),
});

const Outcome = Type.Integer();
export const OutcomesReply = Reply({
  from: IsoDate(),
  to: IsoDate(),
  groupBy: Text(),
  rows: Type.Array(
    Reply({ key: Text(), ALLOW: Outcome, CHALLENGE_REQUIRED: Outcome, REVIEW_REQUIRED: Outcome, BLOCK: Outcome }),
  ),
});

const Price = Type.Number({ minimum: 0, maximum: 1000 });
export const PricesBody = Body({
  currency: Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217, such as NZD.' }),
  perSegment: Type.Record(Type.String({ pattern: '^[A-Z]{2}$' }), Price, {
    description: 'ISO 3166 alpha-2 → the price of one segment.',
    maxProperties: 300,
  }),
  default: Opt(Nullable(Price)),
});

export const PricesReply = Reply({
  currency: NText(),
  perSegment: Type.Record(Type.String(), Type.Number()),
  default: Nullable(Type.Number()),
  updatedAt: Nullable(IsoDate()),
});
