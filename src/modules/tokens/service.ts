import {
  createPrivateKey,
  createPublicKey,
  sign as cryptoSign,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import { decodeProtectedHeader, type JWK, type JWTPayload, errors as joseErrors, jwtVerify } from 'jose';
import { ApiError } from '../../errors.js';
import type { Clock } from '../../lib/clock.js';
import type { Keyring } from '../../lib/crypto.js';
import type { Random } from '../../lib/random.js';
import { TtlCache } from '../../lib/ttl-cache.js';
import type { PublicUrls } from '../../public-urls.js';
import { type SigningKeyView, signingKeyView } from './signing-keys.js';
import type { SigningKeyStore } from './store.js';

/** ES256: as widely supported as RS256 by JWT libraries, and about 25 times cheaper to sign. */
const ALG = 'ES256';
const KEY_CACHE_MS = 60_000;
/** Key IDs are UUIDs; anything outside printable ASCII, or longer, is not one of ours. */
const KID_PATTERN = /^[!-~]{1,128}$/;

/**
 * Token kinds, told apart by the `typ` header and checked on every verification: a challenge token is
 * never accepted as a session access token, nor the reverse (RFC 8725 §3.11; `at+jwt` is RFC 9068's).
 */
export const CHALLENGE_TOKEN_TYP = 'JWT';
export const ACCESS_TOKEN_TYP = 'at+jwt';

export interface ChallengeTokenClaims {
  tenantId: string;
  userId: string;
  actionCode: string;
  idempotencyKey: string;
  scope: string;
}

export class TokenError extends Error {
  constructor(
    readonly reason: 'expired' | 'invalid',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

interface CachedKey {
  tenantId: string;
  key: KeyObject;
}

export class TokenService {
  /**
   * Keys are cached for a minute: a key never changes once written, but rotation adds a newer one and
   * retirement ends an old one, and every node must notice within that time.
   */
  private readonly privateKeys: TtlCache<{ kid: string; key: KeyObject }>;
  private readonly publicKeys: TtlCache<CachedKey | undefined>;

  constructor(
    private readonly store: SigningKeyStore,
    private readonly keyring: Keyring,
    private readonly clock: Clock,
    private readonly random: Random,
    private readonly urls: PublicUrls,
    private readonly ttlSeconds: number,
  ) {
    this.publicKeys = new TtlCache(KEY_CACHE_MS, () => clock.now());
    this.privateKeys = new TtlCache(KEY_CACHE_MS, () => clock.now());
  }

  async createSigningKey(tenantId: string): Promise<string> {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const kid = this.random.uuid();
    const publicJwk: JWK = { ...publicKey.export({ format: 'jwk' }), kid, alg: ALG, use: 'sig' };
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    await this.store.insert({
      kid,
      tenant_id: tenantId,
      alg: ALG,
      private_key_enc: this.keyring.encrypt(pem, signingKeyContext(tenantId, kid)),
      public_jwk: JSON.stringify(publicJwk),
      created_at: this.clock.now(),
      retired_at: null,
    });
    this.privateKeys.delete(tenantId);
    return kid;
  }

  async sign(claims: ChallengeTokenClaims): Promise<string> {
    // `other` mirrors Authsignal's claim layout; actionCode and idempotencyKey also sit at the top level,
    // where newer mobile SDKs look first (docs/wire-protocol.md §6).
    const payload = {
      sub: claims.userId,
      scope: claims.scope,
      actionCode: claims.actionCode,
      idempotencyKey: claims.idempotencyKey,
      other: {
        tenantId: claims.tenantId,
        userId: claims.userId,
        actionCode: claims.actionCode,
        idempotencyKey: claims.idempotencyKey,
      },
    };
    return (await this.signClaims(claims.tenantId, CHALLENGE_TOKEN_TYP, payload, this.ttlSeconds)).token;
  }

  /** Verifies a token of whichever tenant signed it: the Client API learns the tenant from the token. */
  async verifyAnyTenant(token: string): Promise<ChallengeTokenClaims> {
    return this.verifyWith(token, await this.keyOf(token));
  }

  /** Verifies a token that must belong to `tenantId`. A token signed by another tenant's key is invalid. */
  async verify(token: string, tenantId: string): Promise<ChallengeTokenClaims> {
    const key = await this.keyOf(token);
    if (key.tenantId !== tenantId) throw new TokenError('invalid', 'The token is invalid.');
    return this.verifyWith(token, key);
  }

  private async verifyWith(token: string, key: CachedKey): Promise<ChallengeTokenClaims> {
    const tenantId = key.tenantId;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, key.key, {
        algorithms: [ALG],
        issuer: this.urls.apiUrl,
        typ: CHALLENGE_TOKEN_TYP,
        currentDate: new Date(this.clock.now()),
      }));
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired)
        throw new TokenError('expired', 'The token has expired.', { cause: err });
      throw new TokenError('invalid', 'The token is invalid.', { cause: err });
    }
    const other = payload.other as Record<string, unknown> | undefined;
    if (
      other?.tenantId !== tenantId ||
      typeof other.userId !== 'string' ||
      typeof other.actionCode !== 'string' ||
      typeof other.idempotencyKey !== 'string'
    ) {
      throw new TokenError('invalid', 'The token is invalid.');
    }
    return {
      tenantId,
      userId: other.userId,
      actionCode: other.actionCode,
      idempotencyKey: other.idempotencyKey,
      scope: typeof payload.scope === 'string' ? payload.scope : '',
    };
  }

  /** The public key named by the token's `kid`; only ES256 headers are accepted (never `alg: none`). */
  private async keyOf(token: string): Promise<CachedKey> {
    let kid: unknown;
    try {
      const header = decodeProtectedHeader(token);
      kid = header.kid;
      if (header.alg !== ALG) throw new Error('unexpected alg');
    } catch (err) {
      throw new TokenError('invalid', 'The token is malformed.', { cause: err });
    }
    // The header is the sender's JSON: a `kid` that is no short printable string (an object such as
    // {"$ne": null}, a boolean, NUL) names no key, and must never reach the cache or a query.
    if (typeof kid !== 'string' || !KID_PATTERN.test(kid)) throw new TokenError('invalid', 'The token is malformed.');
    const key = await this.publicKey(kid);
    if (!key) throw new TokenError('invalid', 'The token is invalid.');
    return key;
  }

  /** Signs `claims` with the tenant's current key under header `typ`, adding `iss`, `iat` and `exp`. */
  async signClaims(
    tenantId: string,
    typ: string,
    claims: Record<string, unknown>,
    ttlSeconds: number,
  ): Promise<{ token: string; exp: number }> {
    const { kid, key } = await this.currentKey(tenantId);
    const iat = Math.floor(this.clock.now() / 1000);
    const exp = iat + ttlSeconds;
    // Signed with node:crypto on the cached KeyObject: half the cost of jose's WebCrypto path. jose verifies.
    const input = `${base64url({ alg: ALG, kid, typ })}.${base64url({ ...claims, iss: this.urls.apiUrl, iat, exp })}`;
    const signature = cryptoSign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
    return { token: `${input}.${signature.toString('base64url')}`, exp };
  }

  /**
   * Verifies a token of `tenantId` whose header `typ` is `typ`, and returns its claims. With `allowExpired`
   * an authentic but expired token is returned too: revoking a session must work after its access token expired.
   */
  async verifyClaims(
    token: string,
    tenantId: string,
    typ: string,
    options: { allowExpired?: boolean } = {},
  ): Promise<JWTPayload> {
    const key = await this.keyOf(token);
    if (key.tenantId !== tenantId) throw new TokenError('invalid', 'The token is invalid.');
    try {
      const { payload } = await jwtVerify(token, key.key, {
        algorithms: [ALG],
        issuer: this.urls.apiUrl,
        typ,
        currentDate: new Date(this.clock.now()),
      });
      return payload;
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) {
        // jose checks the signature before the claims, so an expired token's payload is authentic.
        if (options.allowExpired) return err.payload;
        throw new TokenError('expired', 'The token has expired.', { cause: err });
      }
      throw new TokenError('invalid', 'The token is invalid.', { cause: err });
    }
  }

  async jwks(tenantId: string): Promise<{ keys: JWK[] }> {
    const rows = await this.store.forTenant(tenantId);
    return { keys: rows.map((row) => JSON.parse(row.public_jwk) as JWK) };
  }

  private currentKey(tenantId: string): Promise<{ kid: string; key: KeyObject }> {
    return this.privateKeys.get(tenantId, async () => {
      const row = await this.store.newestActive(tenantId);
      if (!row) throw new Error(`Tenant ${tenantId} has no signing key`);
      const pem = this.keyring.decrypt(row.private_key_enc, signingKeyContext(tenantId, row.kid));
      return { kid: row.kid, key: createPrivateKey(pem) };
    });
  }

  private publicKey(kid: string): Promise<CachedKey | undefined> {
    return this.publicKeys.get(kid, async () => {
      const row = await this.store.byKid(kid);
      if (!row || row.retired_at !== null) return undefined;
      return { tenantId: row.tenant_id, key: createPublicKey({ key: JSON.parse(row.public_jwk), format: 'jwk' }) };
    });
  }

  /** Retires a key: tokens it signed stop verifying (within KEY_CACHE_MS on other nodes). */
  async retireSigningKey(tenantId: string, kid: string): Promise<boolean> {
    const retired = await this.store.retire(tenantId, kid, this.clock.now());
    this.privateKeys.delete(tenantId);
    this.publicKeys.delete(kid);
    return retired;
  }

  /** Every signing key of the tenant, retired ones included, newest first (the Management API's list). */
  async describeSigningKeys(tenantId: string): Promise<SigningKeyView[]> {
    const rows = await this.store.allForTenant(tenantId);
    // Rows come newest first, in the order newestActive uses: the first active one signs new tokens.
    const currentKid = rows.find((row) => row.retired_at === null)?.kid;
    return rows.map((row) => signingKeyView(row, currentKid));
  }

  async describeSigningKey(tenantId: string, kid: string): Promise<SigningKeyView> {
    const key = (await this.describeSigningKeys(tenantId)).find((k) => k.keyId === kid);
    if (!key) throw new ApiError('not_found', 'The signing key does not exist.');
    return key;
  }

  /**
   * Retires a key, unless it is the only active one (409: nothing would sign new tokens); retiring one
   * already retired changes nothing. Tokens it signed stop verifying (within KEY_CACHE_MS on other nodes).
   */
  async retireSigningKeyKeepingOne(tenantId: string, kid: string): Promise<SigningKeyView> {
    const result = await this.store.retireUnlessLast(tenantId, kid, this.clock.now());
    if (result === 'missing') throw new ApiError('not_found', 'The signing key does not exist.');
    if (result === 'last') {
      throw new ApiError('conflict', 'This is the only active signing key: create a new one before retiring it.');
    }
    this.privateKeys.delete(tenantId);
    this.publicKeys.delete(kid);
    return this.describeSigningKey(tenantId, kid);
  }

  async listSigningKeys(tenantId: string) {
    return (await this.store.forTenant(tenantId)).map((row) => ({
      kid: row.kid,
      alg: row.alg,
      createdAt: new Date(row.created_at).toISOString(),
    }));
  }
}

const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

const signingKeyContext = (tenantId: string, kid: string) => `tenant:${tenantId}:signing-key:${kid}`;
