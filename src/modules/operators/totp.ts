import { Secret, TOTP } from 'otpauth';
import QRCode from 'qrcode';
import { ApiError } from '../../errors.js';
import { sha256Hex } from '../../lib/crypto.js';
import type { OperatorAccountRow } from '../../storage/schema.js';
import type { OperatorContext } from './context.js';
import { RECOVERY_CODE_COUNT } from './operators.js';

/** RFC 6238 as every authenticator app reads it: SHA-1, 6 digits, 30 s; one step either side is accepted. */
const PERIOD = 30;
const WINDOW = 1;
const ISSUER = 'Sigil';

const secretContext = (accountId: string) => `operator:${accountId}:totp`;

function totpFor(email: string, base32: string): TOTP {
  return new TOTP({
    issuer: ISSUER,
    label: email,
    algorithm: 'SHA1',
    digits: 6,
    period: PERIOD,
    secret: Secret.fromBase32(base32),
  });
}

type Ctx = Pick<OperatorContext, 'accounts' | 'keyring' | 'clock' | 'random'>;

export interface Enrolment {
  secret: string;
  otpauthUri: string;
  qrCodeSvg: string;
}

/** Starts enrolment: a new secret, kept pending (encrypted) until a code from it is confirmed. */
export async function startEnrolment(ctx: Ctx, account: OperatorAccountRow): Promise<Enrolment> {
  if (account.totp_enabled_at !== null) {
    throw new ApiError('conflict', 'An authenticator app is already set up. Remove it first to set up another.');
  }
  const secret = new Secret({ size: 20 }).base32;
  await ctx.accounts.setPendingTotp(
    account.id,
    ctx.keyring.encrypt(secret, secretContext(account.id)),
    ctx.clock.now(),
  );
  const otpauthUri = totpFor(account.email, secret).toString();
  const qrCodeSvg = await QRCode.toString(otpauthUri, { type: 'svg', errorCorrectionLevel: 'M', margin: 1 });
  return { secret, otpauthUri, qrCodeSvg };
}

/** The time step a code belongs to, if it is a current code of this secret. */
function matchingStep(ctx: Pick<Ctx, 'clock'>, email: string, base32: string, code: string): number | undefined {
  const now = ctx.clock.now();
  const totp = totpFor(email, base32);
  const delta = totp.validate({ token: code.replace(/\s+/g, ''), timestamp: now, window: WINDOW });
  return delta === null ? undefined : totp.counter({ timestamp: now }) + delta;
}

/**
 * Confirms enrolment with a code from the new secret: the secret becomes active and ten recovery codes
 * are made (returned once, stored as SHA-256; they are 80-bit random values, so a fast hash is enough).
 */
export async function confirmEnrolment(ctx: Ctx, account: OperatorAccountRow, code: string): Promise<string[]> {
  const pending = account.totp_pending_enc;
  if (!pending) throw new ApiError('conflict', 'Start the authenticator set-up first (POST /v1/portal/mfa/totp).');
  const secret = ctx.keyring.decrypt(pending, secretContext(account.id));
  const step = matchingStep(ctx, account.email, secret, code);
  if (step === undefined)
    throw new ApiError('invalid_request', 'The code is not right. Check the time on your device.');
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, () => recoveryCode(ctx));
  const activated = await ctx.accounts.activateTotp(
    account.id,
    pending,
    step,
    codes.map((c) => sha256Hex(normaliseRecoveryCode(c))),
    ctx.clock.now(),
  );
  if (!activated) throw new ApiError('conflict', 'The set-up changed meanwhile. Start again.');
  return codes;
}

/** Checks a TOTP code of an enrolled account and spends its time step: the same code never works twice. */
export async function verifyTotp(ctx: Ctx, account: OperatorAccountRow, code: string): Promise<boolean> {
  if (!account.totp_secret_enc || !/^\s*\d{6}\s*$/.test(code)) return false;
  const secret = ctx.keyring.decrypt(account.totp_secret_enc, secretContext(account.id));
  const step = matchingStep(ctx, account.email, secret, code);
  return step !== undefined && (await ctx.accounts.spendTotpStep(account.id, step));
}

export async function spendRecoveryCode(ctx: Ctx, account: OperatorAccountRow, code: string): Promise<boolean> {
  if (account.totp_enabled_at === null) return false;
  return ctx.accounts.spendRecoveryCode(account.id, sha256Hex(normaliseRecoveryCode(code)), ctx.clock.now());
}

const ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789'; // no 0/o, 1/l/i: read from paper
/** Four groups of four, 31^16 ≈ 2^79 values; draws of 992 and above are redrawn, so there is no modulo bias. */
function recoveryCode(ctx: Pick<Ctx, 'random'>): string {
  let out = '';
  for (let i = 0; i < 16; ) {
    const n = Number(ctx.random.digits(3));
    if (n >= 992) continue;
    out += ALPHABET[n % ALPHABET.length];
    if (i % 4 === 3 && i < 15) out += '-';
    i += 1;
  }
  return out;
}

const normaliseRecoveryCode = (code: string): string => code.toLowerCase().replace(/[^a-z0-9]/g, '');
