/** The load generator's HTTP client, and where it reads the codes the provider received. */
import http from 'node:http';
import Database from 'better-sqlite3';
import pg from 'pg';
import type { AcceptedMessage, VendorFake } from '../../test/fakes/common.js';

const REQUEST_TIMEOUT_MS = 10_000;

// ---------------------------------------------------------------------------------------------------
// HTTP client: node:http with a keep-alive pool, one socket per worker

/** `authorization` header values for the three kinds of credentials. */
export const basicAuth = (secretKey: string) => `Basic ${Buffer.from(`${secretKey}:`).toString('base64')}`;
export const bearerAuth = (token: string) => `Bearer ${token}`;

export type Reply = { status: number; body: Record<string, unknown> };

export class Client {
  private readonly agent: http.Agent;
  private readonly auth: string;

  constructor(
    private readonly port: number,
    apiSecretKey: string,
    sockets: number,
  ) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets });
    this.auth = basicAuth(apiSecretKey);
  }

  /**
   * POSTs JSON, with the server API key unless `authorization` is given. A `body` of `undefined` sends no
   * body at all, still with `content-type: application/json`, as the browser SDK does.
   */
  post(path: string, body: unknown, authorization = this.auth, forwardedFor?: string): Promise<Reply> {
    return this.request('POST', path, body, authorization, forwardedFor);
  }

  /** As `post`, with another method: PUT for the SMS provider configuration. */
  request(
    method: 'POST' | 'PUT' | 'PATCH',
    path: string,
    body: unknown,
    authorization = this.auth,
    forwardedFor?: string,
  ): Promise<Reply> {
    const payload = body === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(body));
    return new Promise((ok, fail) => {
      const req = http.request(
        {
          agent: this.agent,
          host: '127.0.0.1',
          port: this.port,
          method,
          path,
          timeout: REQUEST_TIMEOUT_MS,
          headers: {
            authorization,
            'content-type': 'application/json',
            'content-length': payload.length,
            ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', fail);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: Record<string, unknown> = {};
            try {
              parsed = JSON.parse(text) as Record<string, unknown>;
            } catch {
              parsed = { raw: text.slice(0, 200) };
            }
            ok({ status: res.statusCode ?? 0, body: parsed });
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`timeout after ${REQUEST_TIMEOUT_MS} ms`)));
      req.on('error', fail);
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

// ---------------------------------------------------------------------------------------------------
// Reading the code "as the provider received it": the dev provider's inbox table, or the Twilio fake's
// messages with --provider twilio

export interface Inbox {
  /** Where the codes are read, in labels and error kinds: `dev_inbox` or `Twilio fake`. */
  source: string;
  body(challengeId: string, to: string): Promise<string | undefined>;
  close(): Promise<void>;
}

// (tenant_id, to) is indexed (dev_inbox_to); challenge_id alone is not, so the lookup goes through the index.
const INBOX_SQL = 'SELECT body FROM dev_inbox WHERE tenant_id = $1 AND "to" = $2 AND challenge_id = $3';

export function sqliteInbox(path: string, tenantId: string): Inbox {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  const stmt = db.prepare<[string, string, string], { body: string }>(INBOX_SQL.replace(/\$\d/g, '?'));
  return {
    source: 'dev_inbox',
    body: async (challengeId, to) => stmt.get(tenantId, to, challengeId)?.body,
    close: async () => {
      db.close();
    },
  };
}

export function postgresInbox(url: string, schema: string, tenantId: string, poolSize: number): Inbox {
  const pool = new pg.Pool({ connectionString: url, max: poolSize, options: `-c search_path="${schema}"` });
  return {
    source: 'dev_inbox',
    async body(challengeId, to) {
      const r = await pool.query<{ body: string }>({
        name: 'inbox',
        text: INBOX_SQL,
        values: [tenantId, to, challengeId],
      });
      return r.rows[0]?.body;
    },
    close: () => pool.end(),
  };
}

/** Stands in for a message already read, so that the fake's array keeps its length (it numbers sids by it). */
const READ_MESSAGE: AcceptedMessage = { id: '', to: '', text: '' };

/**
 * The Twilio fake's messages, by the number they went to. The fake appends every message it accepts (and
 * every request) to arrays; each lookup moves the new messages into a map by `to` and replaces them in the
 * array with one shared placeholder, and empties the requests, so a lookup costs the same in a long run as
 * at the start and memory stays flat. The fake has answered before the server answers the challenge, so
 * the message is there. Numbers are unique per flow (sign-in) or per user in flight (adaptive), and a
 * later message to a number replaces an earlier one.
 */
export function twilioFakeInbox(fake: VendorFake): Inbox {
  const byTo = new Map<string, string>();
  let read = 0;
  return {
    source: 'Twilio fake',
    async body(_challengeId, to) {
      const { messages } = fake;
      for (; read < messages.length; read++) {
        const m = messages[read] as AcceptedMessage;
        byTo.set(m.to, m.text);
        messages[read] = READ_MESSAGE;
      }
      fake.requests.length = 0;
      const text = byTo.get(to);
      byTo.delete(to);
      return text;
    },
    close: () => fake.close(),
  };
}
