import { birdProvider } from './bird.js';
import { devProvider } from './dev.js';
import { messageMediaProvider } from './messagemedia.js';
import { modicaProvider } from './modica.js';
import type { ProviderDefinition } from './provider.js';
import { tnzProvider } from './tnz.js';
import { twilioProvider } from './twilio.js';
import { webhookProvider } from './webhook.js';

/**
 * Every provider type that a tenant can configure, by its `type` name. Without a prototype, so that a
 * `type` of `constructor` or `__proto__` from a request names nothing; look types up with
 * providerDefinition, which also checks that the name is an own key.
 */
export const providerDefinitions: Record<string, ProviderDefinition> = Object.assign(Object.create(null), {
  [devProvider.type]: devProvider as unknown as ProviderDefinition,
  [birdProvider.type]: birdProvider as unknown as ProviderDefinition,
  [messageMediaProvider.type]: messageMediaProvider as unknown as ProviderDefinition,
  [modicaProvider.type]: modicaProvider as unknown as ProviderDefinition,
  [tnzProvider.type]: tnzProvider as unknown as ProviderDefinition,
  [twilioProvider.type]: twilioProvider as unknown as ProviderDefinition,
  [webhookProvider.type]: webhookProvider as unknown as ProviderDefinition,
});

/** The definition of a provider type named by a request or a stored config, or undefined. */
export function providerDefinition(type: unknown): ProviderDefinition | undefined {
  return typeof type === 'string' && Object.hasOwn(providerDefinitions, type) ? providerDefinitions[type] : undefined;
}

/** The names of the provider types, for error messages. */
export const providerTypes = (): string[] => Object.keys(providerDefinitions);
