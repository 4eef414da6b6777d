import { birdProvider } from './bird.js';
import { devProvider } from './dev.js';
import { messageMediaProvider } from './messagemedia.js';
import { modicaProvider } from './modica.js';
import type { ProviderDefinition } from './provider.js';
import { tnzProvider } from './tnz.js';
import { twilioProvider } from './twilio.js';
import { webhookProvider } from './webhook.js';

/**
 * Erases a definition's config type so that definitions of different types share one record. This is the
 * one unchecked step in the registry. It holds because of how the record is used: a config is stored only
 * after the definition its `type` names has parsed it, and every caller looks the definition up again by
 * that `type` (or filters configs by it) before calling mask, create or readReceipt, so a definition only
 * ever receives configs of its own C.
 */
function defineProvider<C extends { type: string }>(definition: ProviderDefinition<C>): ProviderDefinition {
  return definition as unknown as ProviderDefinition;
}

/**
 * Every provider type that a tenant can configure, by its `type` name. Without a prototype, so that a
 * `type` of `constructor` or `__proto__` from a request names nothing; look types up with
 * providerDefinition, which also checks that the name is an own key.
 */
export const providerDefinitions: Record<string, ProviderDefinition> = Object.assign(Object.create(null), {
  [devProvider.type]: defineProvider(devProvider),
  [birdProvider.type]: defineProvider(birdProvider),
  [messageMediaProvider.type]: defineProvider(messageMediaProvider),
  [modicaProvider.type]: defineProvider(modicaProvider),
  [tnzProvider.type]: defineProvider(tnzProvider),
  [twilioProvider.type]: defineProvider(twilioProvider),
  [webhookProvider.type]: defineProvider(webhookProvider),
});

/** The definition of a provider type named by a request or a stored config, or undefined. */
export function providerDefinition(type: unknown): ProviderDefinition | undefined {
  return typeof type === 'string' && Object.hasOwn(providerDefinitions, type) ? providerDefinitions[type] : undefined;
}

/** The names of the provider types, for error messages. */
export const providerTypes = (): string[] => Object.keys(providerDefinitions);
