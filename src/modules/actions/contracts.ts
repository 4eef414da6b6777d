import { Type } from '@sinclair/typebox';
import { Body, CustomData, Nullable, Opt, Reply, Str } from '../../http/contract.js';

/** What track takes: every field optional; the Go SDK sends the unset ones as null. */
export const TrackRequest = Body({
  idempotencyKey: Opt(Str()),
  redirectUrl: Opt(Str(2048)),
  redirectToSettings: Opt(Type.Boolean()),
  ipAddress: Opt(Str(64)),
  userAgent: Opt(Str(1024)),
  deviceId: Opt(Str()),
  scope: Opt(Str(256)),
  email: Opt(Str(320)),
  phoneNumber: Opt(Str(64)),
  username: Opt(Str()),
  custom: Opt(CustomData()),
  challengeId: Opt(Str(64)),
  locale: Opt(Str(35)),
  customDomain: Opt(Str(255)),
});

export const TrackResponse = Reply({
  state: Type.String(),
  idempotencyKey: Type.String(),
  token: Type.String(),
  url: Type.String(),
  isEnrolled: Type.Boolean(),
  enrolledVerificationMethods: Type.Array(Type.String()),
  allowedVerificationMethods: Type.Array(Type.String()),
  defaultVerificationMethod: Type.Optional(Type.String()),
  ruleIds: Type.Array(Type.String()),
});

const summaryFields = {
  actionCode: Type.String(),
  idempotencyKey: Type.String(),
  userId: Nullable(Type.String()),
  state: Type.String(),
  stateUpdatedAt: Type.String(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
  verificationMethod: Type.Optional(Type.String()),
};

export const ActionSummary = Reply(summaryFields);

export const ActionRecord = Reply({
  ...summaryFields,
  ruleIds: Type.Array(Type.String()),
  priorityRuleId: Type.Optional(Type.String()),
  rules: Type.Array(Reply({ ruleId: Type.String(), name: Type.String(), description: Type.Optional(Type.String()) })),
  output: Type.Record(Type.String(), Type.Unknown()),
  attributes: Type.Record(Type.String(), Type.Unknown()),
  stateHistory: Type.Array(Reply({ state: Type.String(), reason: Type.String(), at: Type.String() })),
});

export const ValidateResponse = Reply({
  isValid: Type.Boolean(),
  state: Type.Optional(Type.String()),
  stateUpdatedAt: Type.Optional(Type.String()),
  userId: Type.Optional(Type.String()),
  actionCode: Type.Optional(Type.String()),
  action: Type.Optional(Type.String()),
  idempotencyKey: Type.Optional(Type.String()),
  verificationMethod: Type.Optional(Type.String()),
  error: Type.Optional(Type.String()),
});
