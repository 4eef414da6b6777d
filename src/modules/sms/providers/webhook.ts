import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { invalidRequest } from '../../../errors.js';
import { guardedLookup, literalAddressRefusal, type NetworkPolicy } from '../../../lib/outbound-guard.js';
import { signatureV2 } from '../../../lib/webhook-signature.js';
import { type ProviderDefinition, type SmsMessage, SmsSendError } from './provider.js';

export interface WebhookConfig {
  type: 'webhook';
  url: string;
}

/**
 * Delivers the code to the tenant's own endpoint as Authsignal's `sms.created` event, signed with
 * `X-Signature-V2` under the tenant's API secret keys. The endpoint must answer 2xx in time, or the
 * challenge fails.
 */
export const webhookProvider: ProviderDefinition<WebhookConfig> = {
  type: 'webhook',
  parse(raw) {
    if (typeof raw.url !== 'string' || raw.url.length > 2048) throw invalidRequest('webhook.url must be a URL string');
    let url: URL;
    try {
      url = new URL(raw.url);
    } catch {
      throw invalidRequest('webhook.url is not a valid URL');
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw invalidRequest('webhook.url must use https (or http)');
    }
    return { type: 'webhook', url: url.toString() };
  },
  // A URL can carry a credential (user info, a token in the query): show where it points, not the secret.
  mask(config) {
    const url = new URL(config.url);
    if (url.username || url.password) [url.username, url.password] = ['***', ''];
    for (const key of [...url.searchParams.keys()]) url.searchParams.set(key, '***');
    return { type: 'webhook', url: url.toString() };
  },
  create(config, ctx) {
    const policy: NetworkPolicy = {
      allowLoopback: ctx.config.sms.webhookAllowLoopback,
      allowPrivateNetworks: ctx.config.sms.webhookAllowPrivateNetworks,
    };
    const url = new URL(config.url);
    const lookup = guardedLookup(policy);
    return {
      type: 'webhook',
      async send(message, { signal }) {
        const refused = literalAddressRefusal(url, policy);
        if (refused) throw new SmsSendError('route', 'address_refused', `SMS webhook refused: ${refused}`);
        const body = JSON.stringify(envelope(message, ctx.uuid(), ctx.now()));
        const secrets = await ctx.serverSecrets(message.tenantId);
        const signature = signatureV2(body, secrets, Math.floor(ctx.now() / 1000));
        const status = await post(url, body, signature, lookup, signal);
        if (status >= 200 && status < 300) return { providerMessageId: `webhook:${message.challengeId}` };
        const kind = status >= 500 || status === 429 ? 'retryable' : 'route';
        throw new SmsSendError(kind, `http_${status}`, `The SMS webhook at ${url.origin} answered HTTP ${status}`);
      },
    };
  },
};

function envelope(message: SmsMessage, id: string, now: number) {
  return {
    version: 1,
    id,
    source: 'https://authsignal.com',
    time: new Date(now).toISOString(),
    tenantId: message.tenantId,
    type: 'sms.created',
    data: {
      to: message.to,
      code: message.code,
      ...(message.userId ? { userId: message.userId } : {}),
      idempotencyKey: message.idempotencyKey,
      actionCode: message.actionCode,
      ...(message.locale ? { locale: message.locale } : {}),
    },
  };
}

function post(
  url: URL,
  body: string,
  signature: string,
  lookup: ReturnType<typeof guardedLookup>,
  signal: AbortSignal,
): Promise<number> {
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      {
        method: 'POST',
        lookup,
        signal,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'user-agent': 'sigil-webhook',
          'x-signature-v2': signature,
        },
      },
      (res) => {
        res.resume(); // the answer's body is not needed, only its status
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (signal.aborted) {
        return reject(
          new SmsSendError('retryable', 'timeout', `The SMS webhook at ${url.origin} did not answer in time`),
        );
      }
      if (err.code === 'ERR_SIGIL_REFUSED_ADDRESS') {
        return reject(new SmsSendError('route', 'address_refused', `SMS webhook refused: ${err.message}`));
      }
      reject(
        new SmsSendError(
          'retryable',
          'network',
          `The SMS webhook at ${url.origin} could not be reached (${err.code ?? err.message})`,
        ),
      );
    });
    req.end(body);
  });
}
