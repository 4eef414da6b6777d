import { type Static, Type } from '@sinclair/typebox';
import { Body, Nullable, Opt, Reply, Str } from '../../http/contract.js';
import { Authenticator } from '../users/contracts.js';

/**
 * The Client API's contracts. The response schemas declare every field an official SDK reads (the
 * audit's "What each decodes" table): iOS fails to decode an enroll without `userAuthenticatorId`, a
 * challenge without `challengeId` and a verify without `isVerified`; the browser SDK turns
 * `accessToken` into `data.token`.
 */

/** `sms.challenge()`. The browser and the mobile SDKs send no body at all; the docs allow `smsChannel`. */
export const SmsChallengeRequest = Body({
  smsChannel: Opt(Str(32)),
});

export const SmsVerifyRequest = Body({ verificationCode: Str(32) });

export const SmsEnrollRequest = Body({ phoneNumber: Str(64) });

export const ChallengeReply = Reply({ challengeId: Type.String() });

export const EnrollReply = Reply({ userAuthenticatorId: Type.String(), userId: Type.String() });

/** An authenticator as the Client API shows it to the user it belongs to: the Server API's view. */
export const UserAuthenticator = Authenticator;

export const UserAuthenticatorList = Type.Array(UserAuthenticator);

export const VerifyReply = Reply({
  isVerified: Type.Boolean(),
  accessToken: Type.Optional(Type.String({ description: 'A new token for validateChallenge; set when verified.' })),
  failureReason: Type.Optional(Type.String({ description: 'CODE_INVALID_OR_EXPIRED or MAX_ATTEMPTS_EXCEEDED' })),
  userAuthenticator: Type.Optional(UserAuthenticator),
});

/** What the pre-built UI needs to know about its action: never the full number, never a code. */
export const HostedContextReply = Reply({
  actionCode: Type.String(),
  redirectUrl: Nullable(
    Type.String({ description: 'The redirectUrl given to track: redirect mode goes nowhere else.' }),
  ),
  isEnrolled: Type.Boolean(),
  phoneNumberHint: Nullable(Type.String()),
  clientOrigins: Type.Array(Type.String(), {
    description:
      'The origins of SIGIL_CLIENT_ORIGINS. With the redirectUrl origin they are the only places popup and ' +
      'window modes post the token to; an opener outside them is ignored.',
  }),
});

export type HostedContext = Static<typeof HostedContextReply>;
export type UserAuthenticatorView = Static<typeof UserAuthenticator>;
