import { Type } from '@sinclair/typebox';
import { AnyObject, Body, IsoDate, NonEmpty, Nullable, Opt, Params, Query, Reply, Str } from '../../http/contract.js';

const Text = () => Type.String();
const NText = () => Nullable(Type.String());

export const PageQuery = Query({
  limit: Opt(Type.String({ pattern: '^[0-9]{1,4}$', description: '1 to 200; default 50.' })),
  cursor: Opt(
    Type.String({ maxLength: 400, pattern: '^[A-Za-z0-9_-]*$', description: 'nextCursor of the page before' }),
  ),
});

export const UsersQuery = Query({
  ...PageQuery.properties,
  query: Opt({
    ...Str(320),
    description: 'An exact userId, an email (any case), a full E.164 number, or the last 4 or more digits of one.',
  }),
});

export const UserParams = Params({ userId: NonEmpty() });
export const AuthenticatorParams = Params({ userId: NonEmpty(), authenticatorId: NonEmpty() });
export const KeyParams = Params({ idempotencyKey: NonEmpty() });
export const ChallengeIdParams = Params({ challengeId: NonEmpty() });

const UserSummary = {
  userId: Text(),
  email: NText(),
  phoneNumber: Nullable(Type.String({ description: 'Masked for the viewer role.' })),
  displayName: NText(),
  createdAt: IsoDate(),
  updatedAt: IsoDate(),
};

export const UsersReply = Reply({ users: Type.Array(Reply(UserSummary)), nextCursor: NText() });

export const UserDetailReply = Reply({
  user: Reply({
    ...UserSummary,
    emailVerified: Type.Boolean(),
    phoneNumberVerified: Type.Boolean(),
    username: NText(),
    custom: Nullable(AnyObject()),
  }),
  authenticators: Type.Array(
    Reply({
      authenticatorId: Text(),
      verificationMethod: Text(),
      phoneNumber: NText(),
      email: NText(),
      createdAt: IsoDate(),
      verifiedAt: IsoDate(),
      lastVerifiedAt: IsoDate(),
    }),
  ),
});

export const ActivityReply = Reply({
  items: Type.Array(
    Reply({
      kind: Type.Union([Type.Literal('action'), Type.Literal('challenge')]),
      at: IsoDate(),
      actionCode: Text(),
      idempotencyKey: NText(),
      challengeId: NText(),
      state: Type.String({ description: 'The action state, or for a challenge: pending, verified, failed, expired.' }),
      ipAddress: NText(),
      country: NText(),
      deviceId: NText(),
      userAgent: NText(),
      ruleIds: Type.Array(Text()),
      phoneNumber: NText(),
    }),
  ),
  nextCursor: NText(),
});

const Why = Reply({
  code: Type.Union(
    [
      'refused_by_sigil',
      'refused_by_vendor',
      'failed_by_carrier',
      'delivered_not_entered',
      'sent_not_entered',
      'entered_wrongly',
      'expired',
      'verified',
      'pending',
    ].map((c) => Type.Literal(c)),
  ),
  sentence: Type.String({ description: '"Why didn\'t the code arrive?" in one plain sentence.' }),
});

const TimelineEvent = Reply({
  at: IsoDate(),
  kind: Type.String({
    description: 'state_change, code_sent, send_refused, wrong_code, verified, validated, review_decision, expired',
  }),
  challengeId: NText(),
  summary: Type.String({ description: 'One plain sentence.' }),
  state: Type.Optional(Text()),
  reason: Type.Optional(Text()),
  decidedBy: Type.Optional(NText()),
  attempt: Type.Optional(Type.Integer()),
  provider: Type.Optional(Text()),
  outcome: Type.Optional(Text()),
  vendorError: Type.Optional(NText()),
  latencyMs: Type.Optional(Type.Number()),
  receipts: Type.Optional(
    Type.Array(Reply({ status: Text(), vendorStatus: Text(), errorCode: NText(), at: IsoDate() })),
  ),
  defence: Type.Optional(Text()),
  mode: Type.Optional(Text()),
  attemptNumber: Type.Optional(Type.Integer()),
  decision: Type.Optional(Type.Union([Type.Literal('approved'), Type.Literal('rejected')])),
});

const ChallengeTimes = {
  createdAt: IsoDate(),
  expiresAt: IsoDate(),
  attempts: Type.Integer(),
  maxAttempts: Type.Integer(),
  verifiedAt: Nullable(IsoDate()),
};

export const ActionDetailReply = Reply({
  action: Reply({
    idempotencyKey: Text(),
    userId: NText(),
    actionCode: Text(),
    state: Text(),
    outcome: NText(),
    createdAt: IsoDate(),
    updatedAt: IsoDate(),
    validatedAt: Nullable(IsoDate()),
    ipAddress: NText(),
    country: NText(),
    deviceId: NText(),
    userAgent: NText(),
    attributes: AnyObject('The track body as it was stored.'),
  }),
  rules: Type.Array(
    Reply({ ruleId: Text(), name: Text(), type: Text(), matched: Type.Boolean(), deciding: Type.Boolean() }),
  ),
  challenges: Type.Array(Reply({ challengeId: Text(), phoneNumber: Text(), ...ChallengeTimes, why: Why })),
  timeline: Type.Array(TimelineEvent),
});

export const ChallengeDetailReply = Reply({
  challenge: Reply({
    challengeId: Text(),
    idempotencyKey: Text(),
    userId: NText(),
    actionCode: Text(),
    phoneNumber: Text(),
    ...ChallengeTimes,
    failedReason: NText(),
  }),
  why: Why,
  timeline: Type.Array(TimelineEvent),
});

export const ReviewsReply = Reply({
  items: Type.Array(
    Reply({
      idempotencyKey: Text(),
      userId: NText(),
      actionCode: Text(),
      createdAt: IsoDate(),
      ipAddress: NText(),
      country: NText(),
      deviceId: NText(),
      userAgent: NText(),
      ruleIds: Type.Array(Text()),
    }),
  ),
  nextCursor: NText(),
});

export const DecisionBody = Body({ decision: Type.Union([Type.Literal('approve'), Type.Literal('reject')]) });

export const DecisionReply = Reply({
  idempotencyKey: Text(),
  state: Type.Union([Type.Literal('REVIEW_SUCCEEDED'), Type.Literal('REVIEW_FAILED')]),
  decidedBy: Text(),
});
