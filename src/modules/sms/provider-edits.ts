import { invalidRequest } from '../../errors.js';
import type { ProviderConfig } from './config-service.js';
import { providerDefinition } from './providers/index.js';
import type { ParseRules } from './providers/provider.js';
import { secretFieldsOf } from './providers/schema.js';

/**
 * Which stored provider a submitted entry edits, so that its secrets can be kept (the portal's "left
 * blank to keep") and its `id` stays the same (sms-providers.md, "Secrets: left blank to keep"):
 * - an entry with an `id` edits the stored provider with that id, if it is of the same type;
 * - an entry without an `id` edits the stored provider at the same position, if it is of the same type;
 * - anything else is a new provider, which gets a new id and needs all its secrets.
 * A stored provider is edited by one entry at most; an id named twice is a 400.
 */
export function editedProviders(entries: unknown[], stored: ProviderConfig[]): (ProviderConfig | undefined)[] {
  const claimed = new Map<string, number>();
  return entries.map((raw, i) => {
    const entry = isObject(raw) ? raw : {};
    const id = typeof entry.id === 'string' && entry.id !== '' ? entry.id : undefined;
    const base = id ? stored.find((s) => s.id === id) : stored[i];
    if (!base || base.type !== entry.type || base.id === undefined) return undefined;
    const earlier = claimed.get(base.id);
    if (earlier !== undefined) {
      if (id) throw invalidRequest(`providers[${i}].id names the same provider as providers[${earlier}]`);
      return undefined;
    }
    claimed.set(base.id, i);
    return base;
  });
}

/**
 * The entry with each secret it left out, left empty or sent back masked (as GET shows it) taken from
 * the provider it edits. Nothing is taken across types, and a new provider gets nothing.
 */
export function withKeptSecrets(raw: unknown, base: ProviderConfig | undefined, rules: ParseRules): unknown {
  const definition = providerDefinition(isObject(raw) ? raw.type : undefined);
  if (!isObject(raw) || !base || !definition || base.type !== raw.type) return raw;
  const masked = definition.mask(base);
  const merged: Record<string, unknown> = { ...raw };
  for (const field of secretFieldsOf(definition.schema(rules))) {
    const given = raw[field];
    const kept = given === undefined || given === null || given === '' || given === masked[field];
    if (kept && base[field] !== undefined) merged[field] = base[field];
  }
  return merged;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
