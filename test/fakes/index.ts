import type { ReceiptSender, VendorFake } from './common.js';
import { startTwilioFake, expectations as twilioExpectations } from './twilio.js';

type Expected = { kind: 'retryable' | 'route' | 'number'; reason: string } | 'accepted';

export interface VendorCase {
  type: string;
  start(): Promise<VendorFake & Partial<ReceiptSender>>;
  /** What the vendor does with the magic numbers that fail at once: an error, or accept and fail by receipt. */
  expectations: Record<'invalidNumber' | 'optedOut' | 'insufficientFunds', Expected>;
}

/** Every vendor adapter with its local fake: the conformance suite and the end-to-end tests run each. */
export const vendors: VendorCase[] = [{ type: 'twilio', start: startTwilioFake, expectations: twilioExpectations }];
