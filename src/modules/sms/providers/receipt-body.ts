import type { InboundReceipt } from './provider.js';

/** Reading delivery callbacks, whose shapes vendors change without notice: lenient, never throwing. */

/** The callback's body as a JSON object, or undefined when it is anything else. */
export function jsonObjectOf(req: InboundReceipt): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(req.rawBody.toString('utf8'));
    return isRecord(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** One header's value (the first, if repeated), or undefined when absent or empty. */
export function headerOf(req: InboundReceipt, name: string): string | undefined {
  const value = req.headers[name];
  return (Array.isArray(value) ? value[0] : value) || undefined;
}
