import { devProvider } from './dev.js';
import type { ProviderDefinition } from './provider.js';
import { twilioProvider } from './twilio.js';
import { webhookProvider } from './webhook.js';

/** Every provider type that a tenant can configure, by its `type` name. */
export const providerDefinitions: Record<string, ProviderDefinition> = {
  [devProvider.type]: devProvider as unknown as ProviderDefinition,
  [twilioProvider.type]: twilioProvider as unknown as ProviderDefinition,
  [webhookProvider.type]: webhookProvider as unknown as ProviderDefinition,
};
