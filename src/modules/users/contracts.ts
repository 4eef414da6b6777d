import { type Static, Type } from '@sinclair/typebox';
import { Reply } from '../../http/contract.js';

/** What the Server API answers about users; the views in users.ts build exactly these. */
export const attributeFields = {
  email: Type.Optional(Type.String()),
  emailVerified: Type.Boolean(),
  phoneNumber: Type.Optional(Type.String()),
  phoneNumberVerified: Type.Boolean(),
  username: Type.Optional(Type.String()),
  displayName: Type.Optional(Type.String()),
  custom: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  locale: Type.Optional(Type.String()),
};

const enrollmentFields = {
  isEnrolled: Type.Boolean(),
  enrolledVerificationMethods: Type.Array(Type.String()),
  allowedVerificationMethods: Type.Array(Type.String()),
  defaultVerificationMethod: Type.Optional(Type.String()),
};

export const Authenticator = Reply({
  userId: Type.String(),
  userAuthenticatorId: Type.String(),
  verificationMethod: Type.String(),
  createdAt: Type.String(),
  verifiedAt: Type.Optional(Type.String()),
  lastVerifiedAt: Type.Optional(Type.String()),
  phoneNumber: Type.Optional(Type.String()),
  email: Type.Optional(Type.String()),
});

export const QueriedUser = Reply({
  userId: Type.String(),
  ...attributeFields,
  ...enrollmentFields,
  createdAt: Type.String(),
});

export const UsersPage = Reply({
  users: Type.Array(QueriedUser),
  lastEvaluatedUserId: Type.Optional(Type.String()),
  tokenPayload: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
});

export const AttributesReply = Reply(attributeFields);
export const UserReply = Reply({ ...enrollmentFields, ...attributeFields });

export type AuthenticatorView = Static<typeof Authenticator>;
export type AttributesView = Static<typeof AttributesReply>;
export const EnrollmentReply = Reply(enrollmentFields);
export type EnrollmentView = Static<typeof EnrollmentReply>;
