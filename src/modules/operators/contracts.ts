import { Type } from '@sinclair/typebox';
import { Body, IsoDate, NonEmpty, Nullable, Opt, Params, Reply, Str } from '../../http/contract.js';
import { MAX_PASSWORD_LENGTH } from './operators.js';
import { ROLES } from './roles.js';

/** The contracts of /v1/portal and of the team routes (docs/portal-access.md). */

const RoleSchema = Type.Union(
  ROLES.map((r) => Type.Literal(r)),
  { description: 'owner, admin, developer, support or viewer (docs/portal-access.md)' },
);

const Status = Type.Union([
  Type.Literal('signed_in'),
  Type.Literal('mfa_required'),
  Type.Literal('mfa_enrolment_required'),
]);
const Password = Str(MAX_PASSWORD_LENGTH);

export const SignInBody = Body({ email: NonEmpty(320), password: Password });
/** The new session's CSRF token comes with it, so that the next call needs no GET /me first. */
export const SignInReply = Reply({ status: Status, csrfToken: Type.String() });
export const MfaBody = Body({ code: Opt(NonEmpty(16)), recoveryCode: Opt(NonEmpty(64)) });
export const ReauthenticateBody = Body({ password: Opt(Password), code: Opt(NonEmpty(16)) });
export const ReauthenticateReply = Reply({ success: Type.Boolean(), reauthenticatedAt: IsoDate() });

export const MeReply = Reply({
  account: Reply({ accountId: Type.String(), email: Type.String(), mfaEnabled: Type.Boolean() }),
  memberships: Type.Array(Reply({ tenantId: Type.String(), tenantName: Type.String(), role: RoleSchema })),
  csrfToken: Type.String(),
  session: Reply({
    sessionId: Type.String(),
    status: Status,
    expiresAt: IsoDate(),
    idleExpiresAt: IsoDate(),
    reauthenticatedAt: IsoDate(),
  }),
  mfaMandatory: Type.Boolean(),
});

export const EnrolmentReply = Reply({ secret: Type.String(), otpauthUri: Type.String(), qrCodeSvg: Type.String() });
export const ConfirmBody = Body({ code: NonEmpty(16) });
export const ConfirmReply = Reply({
  recoveryCodes: Type.Array(Type.String()),
  /** Where the session stands now; a session that had to enrol is signed in (and rotated). */
  status: Status,
  csrfToken: Type.String(),
});

export const RedeemBody = Body({ token: NonEmpty(128), password: Opt(Password) });
export const LinkParams = Params({ token: NonEmpty(128) });
export const LinkReply = Reply({
  kind: Type.Union([Type.Literal('sign-in'), Type.Literal('invite')]),
  email: Type.String(),
  tenantName: Type.Optional(Type.String()),
  role: Type.Optional(Type.String()),
  needsPassword: Type.Boolean(),
  /** Whether the password asked for is the account's own (true) or a new one (false). */
  accountExists: Type.Boolean(),
});

export const TenantBody = Body({ name: NonEmpty(200) });
export const TenantReply = Reply({
  tenantId: Type.String(),
  name: Type.String(),
  apiSecretKey: Type.String(),
  managementSecretKey: Type.String(),
});

export const SessionView = Reply({
  sessionId: Type.String(),
  status: Status,
  current: Type.Boolean(),
  createdAt: IsoDate(),
  lastSeenAt: IsoDate(),
  expiresAt: IsoDate(),
  idleExpiresAt: IsoDate(),
  ipAddress: Nullable(Type.String()),
  userAgent: Nullable(Type.String()),
});
export const SessionParams = Params({ sessionId: NonEmpty(64) });

export const Member = Reply({
  accountId: Type.String(),
  email: Type.String(),
  role: Type.String(),
  mfaEnabled: Type.Boolean(),
  joinedAt: IsoDate(),
});
export const MemberParams = Params({ accountId: NonEmpty(64) });
export const RoleBody = Body({ role: RoleSchema });
export const Invite = Reply({
  inviteId: Type.String(),
  email: Type.String(),
  role: Type.String(),
  createdAt: IsoDate(),
  expiresAt: IsoDate(),
});
export const CreatedInvite = Reply({ ...Invite.properties, link: Type.String() });
export const InviteBody = Body({ email: NonEmpty(320), role: RoleSchema });
export const InviteParams = Params({ inviteId: NonEmpty(64) });
