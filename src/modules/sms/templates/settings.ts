import type { Config } from '../../../config.js';
import { ApiError, invalidRequest, notFound } from '../../../errors.js';
import type { Clock } from '../../../lib/clock.js';
import { TtlCache } from '../../../lib/ttl-cache.js';
import type { SmsStore } from '../store.js';
import type { MessageSettings } from './render.js';
import {
  checkSegments,
  effectiveSettings,
  MAX_TEMPLATES,
  parseLocale,
  parseSettings,
  parseTemplateText,
  type StoredSettings,
  type TemplateView,
  templateViews,
} from './validate.js';

export interface SettingsView {
  appName: string;
  webOtpDomain: string | null;
  androidAppHash: string | null;
  maxSegments: number;
  templates: TemplateView[];
}

/** Rounds of compare-and-swap before a template edit gives up on a document that keeps changing. */
const MAX_WRITE_ROUNDS = 5;

/**
 * A tenant's SMS message settings: templates by locale, app name, WebOTP domain, Android app hash and
 * segment limit, stored as one JSON document. Every document saved is valid: each template is rendered
 * with the longest values when saved, and refused if it would exceed the segment limit.
 */
export class MessageSettingsService {
  private readonly cache: TtlCache<MessageSettings>;

  constructor(
    private readonly store: SmsStore,
    private readonly config: Readonly<Config>,
    private readonly clock: Clock,
  ) {
    this.cache = new TtlCache(config.authCacheTtlMs, () => clock.now());
  }

  /** The settings for composing a message. Cached, so another node's change shows within authCacheTtlMs. */
  async get(tenantId: string): Promise<MessageSettings> {
    return this.cache.get(tenantId, async () => effectiveSettings((await this.read(tenantId)).stored, this.config));
  }

  /** The settings as an operator sees them, read afresh, each template measured. */
  async view(tenantId: string): Promise<SettingsView> {
    return this.viewOf((await this.read(tenantId)).stored);
  }

  /** Replaces the whole document. */
  async replace(tenantId: string, body: unknown): Promise<SettingsView> {
    const stored = parseSettings(body);
    checkSegments(effectiveSettings(stored, this.config), this.config);
    await this.store.putMessageSettings(tenantId, JSON.stringify(stored), this.clock.now());
    this.cache.delete(tenantId);
    return this.viewOf(stored);
  }

  /** Adds or replaces the template of one locale, and answers with that template measured. */
  async setTemplate(tenantId: string, rawLocale: string, text: unknown): Promise<TemplateView> {
    const locale = parseLocale(rawLocale);
    const checked = parseTemplateText(locale, text);
    const stored = await this.change(tenantId, (doc) => ({
      ...doc,
      templates: { ...doc.templates, [locale]: checked },
    }));
    const views = templateViews(effectiveSettings(stored, this.config), this.config);
    const view = views.find((v) => v.locale === locale && !v.builtIn);
    if (!view) throw new Error('the saved template is missing from its view');
    return view;
  }

  /** Removes the template of one locale; its messages fall back as if it had never been set. */
  async deleteTemplate(tenantId: string, rawLocale: string): Promise<{ success: true }> {
    const locale = parseLocale(rawLocale);
    await this.change(tenantId, (doc) => {
      if (!Object.hasOwn(doc.templates, locale)) throw notFound(`No SMS template is saved for locale ${locale}`);
      const templates = { ...doc.templates };
      delete templates[locale];
      return { ...doc, templates };
    });
    return { success: true };
  }

  private async read(tenantId: string): Promise<{ stored: StoredSettings; raw: string | undefined }> {
    const raw = await this.store.messageSettings(tenantId);
    if (raw === undefined) return { stored: { templates: {} }, raw: undefined };
    const stored = JSON.parse(raw) as StoredSettings;
    return { stored: { ...stored, templates: stored.templates ?? {} }, raw };
  }

  /**
   * Read, change, validate, then write only if the document is still the one read (one conditional
   * statement, compared on the whole text), so two operators editing different locales at once never
   * lose either edit. A lost race reads again.
   */
  private async change(tenantId: string, edit: (doc: StoredSettings) => StoredSettings): Promise<StoredSettings> {
    for (let round = 0; round < MAX_WRITE_ROUNDS; round++) {
      const { stored, raw } = await this.read(tenantId);
      const next = edit(stored);
      if (Object.keys(next.templates).length > MAX_TEMPLATES) {
        throw invalidRequest(`templates may hold at most ${MAX_TEMPLATES} locales`);
      }
      checkSegments(effectiveSettings(next, this.config), this.config);
      if (await this.store.swapMessageSettings(tenantId, raw, JSON.stringify(next), this.clock.now())) {
        this.cache.delete(tenantId);
        return next;
      }
    }
    throw new ApiError('conflict', 'The SMS templates were changed by another request meanwhile. Try again.');
  }

  private viewOf(stored: StoredSettings): SettingsView {
    const settings = effectiveSettings(stored, this.config);
    return {
      appName: settings.appName,
      webOtpDomain: settings.webOtpDomain,
      androidAppHash: settings.androidAppHash,
      maxSegments: settings.maxSegments,
      templates: templateViews(settings, this.config),
    };
  }
}
