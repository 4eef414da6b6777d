import { invalidRequest } from '../../../errors.js';
import type { ParseRules } from './provider.js';

/** Field readers for provider configs: each error names the provider and the field. */
export function requiredString(
  raw: Record<string, unknown>,
  type: string,
  field: string,
  rule: { pattern?: RegExp; max?: number; hint?: string } = {},
): string {
  const value = raw[field];
  if (typeof value !== 'string' || value.trim() === '') throw invalidRequest(`${type}.${field} is required`);
  return checked(value.trim(), type, field, rule);
}

export function optionalString(
  raw: Record<string, unknown>,
  type: string,
  field: string,
  rule: { pattern?: RegExp; max?: number; hint?: string } = {},
): string | undefined {
  const value = raw[field];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw invalidRequest(`${type}.${field} must be a string`);
  return checked(value.trim(), type, field, rule);
}

function checked(value: string, type: string, field: string, rule: { pattern?: RegExp; max?: number; hint?: string }) {
  if (value.length > (rule.max ?? 512)) throw invalidRequest(`${type}.${field} is too long`);
  if (rule.pattern && !rule.pattern.test(value)) {
    throw invalidRequest(`${type}.${field} is not valid${rule.hint ? `: ${rule.hint}` : ''}`);
  }
  return value;
}

/**
 * A vendor's API base URL: the default, or an override for a regional host. It must be https, except a
 * loopback host where loopback is allowed (local fakes and development). Kept without a trailing slash.
 */
export function baseUrl(raw: Record<string, unknown>, type: string, fallback: string, rules: ParseRules): string {
  const value = optionalString(raw, type, 'baseUrl', { max: 2048 });
  if (value === undefined) return fallback;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalidRequest(`${type}.baseUrl is not a valid URL`);
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback && rules.allowLoopback)) {
    throw invalidRequest(`${type}.baseUrl must use https`);
  }
  if (url.username || url.password || url.search || url.hash) {
    throw invalidRequest(`${type}.baseUrl must not carry credentials, a query or a fragment`);
  }
  return url.toString().replace(/\/+$/, '');
}

/** Shows that a secret is set without showing it: the last four characters at most, for long values. */
export function maskSecret(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  return value.length >= 16 ? `***${value.slice(-4)}` : '***';
}
