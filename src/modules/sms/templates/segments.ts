import { SegmentedMessage } from 'sms-segments-calculator';

type SmsEncoding = 'GSM-7' | 'UCS-2';

export interface Measure {
  /** GSM-7 when every character is in the GSM 03.38 alphabet or its extension table, else UCS-2. */
  encoding: SmsEncoding;
  /** The number of SMS parts the text is sent (and usually billed) as. */
  segments: number;
  /**
   * The length in the units that the limits count: GSM-7 septets, where an extension character
   * (`{ } [ ] ~ \ | ^ €` and the form feed) takes two, or UCS-2 16-bit units, where an emoji outside
   * the Basic Multilingual Plane takes two. One segment holds 160 septets or 70 units; a longer
   * message is split into parts of 153 or 67, because each part carries a concatenation header.
   */
  characters: number;
  /** How many of those units one segment holds: 160 or 70 alone, 153 or 67 in a message split in parts. */
  charactersPerSegment: number;
}

/** How a text would be sent as SMS: its encoding, its segment count and its length. */
export function measure(text: string): Measure {
  const message = new SegmentedMessage(text);
  const encoding = message.encodingName;
  const single = message.segmentsCount <= 1;
  return {
    encoding,
    segments: message.segmentsCount,
    charactersPerSegment: encoding === 'GSM-7' ? (single ? 160 : 153) : single ? 70 : 67,
    // The library counts UCS-2 text in graphemes; the 70/67 limits count UTF-16 units, as String#length does.
    characters: encoding === 'UCS-2' ? text.length : message.numberOfCharacters,
  };
}

const segmentCache = new Map<string, number>();

/**
 * The segment count of a message, cached by its text with every digit as 0: a digit is one GSM-7 septet
 * and one UCS-2 unit alike, so two codes of one template always take the same segments. Measuring costs a
 * grapheme split of the whole text, which was 9 % of a sign-in's CPU when done for every attempt.
 */
export function segmentCount(text: string): number {
  const key = text.replace(/[0-9]/g, '0');
  let n = segmentCache.get(key);
  if (n === undefined) {
    n = measure(text).segments;
    if (segmentCache.size >= 1_000) segmentCache.clear();
    segmentCache.set(key, n);
  }
  return n;
}
