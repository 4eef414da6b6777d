/**
 * The public addresses Sigil hands out: the SDKs' API URL, the pre-built UI's links, and the URLs that
 * vendors post delivery receipts to (and sign). Resolved once: from SIGIL_PUBLIC_URL, or from HOST and
 * PORT, or, when PORT=0 lets the OS choose, from the address the server got, bound once after listen.
 */
export class PublicUrls {
  private resolved: string | undefined;

  /**
   * `base` is where Sigil's own paths start (`https://sigil.example.com`, or `https://example.com/sigil`
   * behind a proxy that adds a prefix); undefined when only the listening address can tell it.
   */
  constructor(base: string | undefined) {
    this.resolved = base === undefined ? undefined : trimmed(base);
  }

  /** For PORT=0: the address the server listens on. Allowed once, and only when the base was not known. */
  bind(listeningAddress: string): void {
    if (this.resolved !== undefined) throw new Error('the public URL is already resolved');
    this.resolved = trimmed(listeningAddress.replace('[::1]', '127.0.0.1'));
  }

  /** False only before a PORT=0 server has listened (the CLI never listens). */
  get known(): boolean {
    return this.resolved !== undefined;
  }

  get base(): string {
    if (this.resolved === undefined) throw new Error('the public URL is not known before the server listens');
    return this.resolved;
  }

  /** The base URL the SDKs take, with `/v1`; also the issuer of challenge tokens. */
  get apiUrl(): string {
    return `${this.base}/v1`;
  }

  /** The pre-built UI for a token. It already holds a `?`: the SDKs append `&mode=popup` and the like. */
  hostedChallengeUrl(token: string): string {
    return `${this.base}/hosted/challenge?token=${encodeURIComponent(token)}`;
  }

  /** The public URL of a request target (path and query) as the server received it: what a vendor signed. */
  absolute(target: string): string {
    return `${this.base}${target}`;
  }
}

function trimmed(url: string): string {
  return url.replace(/\/+$/, '');
}
