import { birdProvider } from './bird.js';
import { devProvider } from './dev.js';
import { messageMediaProvider } from './messagemedia.js';
import { modicaProvider } from './modica.js';
import type { ProviderDefinition } from './provider.js';
import { tnzProvider } from './tnz.js';
import { twilioProvider } from './twilio.js';
import { webhookProvider } from './webhook.js';

/** Every provider type that a tenant can configure, by its `type` name. */
export const providerDefinitions: Record<string, ProviderDefinition> = {
  [devProvider.type]: devProvider as unknown as ProviderDefinition,
  [birdProvider.type]: birdProvider as unknown as ProviderDefinition,
  [messageMediaProvider.type]: messageMediaProvider as unknown as ProviderDefinition,
  [modicaProvider.type]: modicaProvider as unknown as ProviderDefinition,
  [tnzProvider.type]: tnzProvider as unknown as ProviderDefinition,
  [twilioProvider.type]: twilioProvider as unknown as ProviderDefinition,
  [webhookProvider.type]: webhookProvider as unknown as ProviderDefinition,
};
