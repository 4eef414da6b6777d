import { expectations as birdExpectations, startBirdFake } from './bird.js';
import type { Expectations, ReceiptSender, VendorFake } from './common.js';
import { expectations as messageMediaExpectations, startMessageMediaFake } from './messagemedia.js';
import { expectations as modicaExpectations, startModicaFake } from './modica.js';
import { startTnzFake, expectations as tnzExpectations } from './tnz.js';
import { startTwilioFake, expectations as twilioExpectations } from './twilio.js';

export interface VendorCase {
  type: string;
  start(): Promise<VendorFake & Partial<ReceiptSender>>;
  /** What the vendor does with the magic numbers that fail at once: an error, or accept and fail by receipt. */
  expectations: Expectations;
}

/** Every vendor adapter with its local fake: the conformance suite and the end-to-end tests run each. */
export const vendors: VendorCase[] = [
  { type: 'twilio', start: startTwilioFake, expectations: twilioExpectations },
  { type: 'bird', start: startBirdFake, expectations: birdExpectations },
  { type: 'messagemedia', start: startMessageMediaFake, expectations: messageMediaExpectations },
  { type: 'tnz', start: startTnzFake, expectations: tnzExpectations },
  { type: 'modica', start: startModicaFake, expectations: modicaExpectations },
];
