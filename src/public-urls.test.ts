import { describe, expect, it } from 'vitest';
import { PublicUrls } from './public-urls.js';

describe('public URLs', () => {
  it('derives every URL Sigil hands out from one base', () => {
    const urls = new PublicUrls('https://example.com/sigil/');
    expect(urls.apiUrl).toBe('https://example.com/sigil/v1');
    expect(urls.hostedChallengeUrl('a.b+c')).toBe('https://example.com/sigil/hosted/challenge?token=a.b%2Bc');
    // A vendor signs the URL it was given: the base, then the path and query the server received.
    expect(urls.absolute('/v1/sms-receipts/twilio/t/x?a=1')).toBe(
      'https://example.com/sigil/v1/sms-receipts/twilio/t/x?a=1',
    );
  });

  it('with PORT=0, refuses to answer before the server listens, then binds once', () => {
    const urls = new PublicUrls(undefined);
    expect(urls.known).toBe(false);
    expect(() => urls.apiUrl).toThrow(/not known before the server listens/);
    urls.bind('http://[::1]:41234');
    expect(urls.apiUrl).toBe('http://127.0.0.1:41234/v1');
    expect(() => urls.bind('http://127.0.0.1:5')).toThrow(/already resolved/);
    expect(() => new PublicUrls('https://sigil.example.com').bind('http://127.0.0.1:5')).toThrow(/already resolved/);
  });
});
