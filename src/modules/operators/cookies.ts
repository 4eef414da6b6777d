import { fastifyCookie } from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { constantTimeEqual, sha256Hex } from '../../lib/crypto.js';
import type { PublicUrls } from '../../public-urls.js';

/**
 * The session cookie. Behind https it is `__Host-sigil_portal`: the prefix makes the browser refuse it
 * unless it is Secure, has Path=/ and no Domain, so a sibling subdomain cannot plant or widen it. Over
 * plain http (development) browsers refuse Secure cookies, so it is `sigil_portal` without the flag.
 */
function sessionCookie(publicUrls: PublicUrls): { name: string; secure: boolean } {
  const secure = publicUrls.base.startsWith('https:');
  return { name: secure ? '__Host-sigil_portal' : 'sigil_portal', secure };
}

/** The token in the request's session cookie, whether or not @fastify/cookie parsed this scope's cookies. */
export function readSessionToken(request: FastifyRequest, publicUrls: PublicUrls): string | undefined {
  const { name } = sessionCookie(publicUrls);
  const parsed = (request as { cookies?: Record<string, string | undefined> }).cookies;
  if (parsed) return parsed[name] || undefined;
  const header = request.headers.cookie;
  return header ? fastifyCookie.parse(header)[name] || undefined : undefined;
}

export function setSessionCookie(reply: FastifyReply, publicUrls: PublicUrls, token: string): void {
  const { name, secure } = sessionCookie(publicUrls);
  // No Max-Age: the browser forgets it when it closes; the server ends it after 30 min idle or 12 h.
  reply.setCookie(name, token, { httpOnly: true, secure, sameSite: 'strict', path: '/' });
}

export function clearSessionCookie(reply: FastifyReply, publicUrls: PublicUrls): void {
  const { name, secure } = sessionCookie(publicUrls);
  reply.clearCookie(name, { httpOnly: true, secure, sameSite: 'strict', path: '/' });
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
export const changesState = (method: string): boolean => !SAFE_METHODS.has(method.toUpperCase());

/**
 * The synchronizer token: the X-CSRF-Token header must equal the session's token. Compared as hashes,
 * in constant time, so that neither the length nor the first difference shows in the timing.
 */
export function csrfMatches(request: FastifyRequest, expected: string): boolean {
  const given = request.headers['x-csrf-token'];
  if (typeof given !== 'string' || given === '') return false;
  return constantTimeEqual(Buffer.from(sha256Hex(given)), Buffer.from(sha256Hex(expected)));
}
