import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';

const key = randomBytes(32).toString('base64');
const dataDir = () => mkdtempSync(join(tmpdir(), 'sigil-config-'));

describe('configuration', () => {
  it('defaults to 127.0.0.1:8080, SQLite under the data folder, 6-digit codes for 10 minutes, 5 attempts', () => {
    const dir = dataDir();
    const config = loadConfig({ SIGIL_DATA_DIR: dir, SIGIL_MASTER_KEY: key });
    expect(config).toMatchObject({ host: '127.0.0.1', port: 8080, publicUrl: 'http://127.0.0.1:8080' });
    expect(config.databaseUrl).toBe(`sqlite:${join(dir, 'sigil.db')}`);
    expect(config.otp).toMatchObject({ length: 6, ttlSeconds: 600, maxAttempts: 5 });
  });

  it('is frozen: no code can change a setting once loaded', () => {
    const config = loadConfig({ SIGIL_MASTER_KEY: key });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.otp)).toBe(true);
    expect(Object.isFrozen(config.clientOrigins)).toBe(true);
    expect(() => {
      (config as { port: number }).port = 1;
    }).toThrow(TypeError);
    expect(() => {
      (config.sms as { timeoutMs: number }).timeoutMs = 1;
    }).toThrow(TypeError);
  });

  it('runs the transaction guard in development and test, not in production unless asked', () => {
    expect(loadConfig({ SIGIL_MASTER_KEY: key }).transactionGuard).toBe(true);
    expect(loadConfig({ SIGIL_MASTER_KEY: key, NODE_ENV: 'production' }).transactionGuard).toBe(false);
    expect(
      loadConfig({ SIGIL_MASTER_KEY: key, NODE_ENV: 'production', SIGIL_TRANSACTION_GUARD: 'true' }).transactionGuard,
    ).toBe(true);
  });

  it('reads SIGIL_TRUST_PROXY as off, on, a hop count or a list of addresses', () => {
    const trust = (v: string) => loadConfig({ SIGIL_MASTER_KEY: key, SIGIL_TRUST_PROXY: v }).trustProxy;
    expect(loadConfig({ SIGIL_MASTER_KEY: key }).trustProxy).toBe(false);
    expect(trust('true')).toBe(true);
    expect(trust('2')).toBe(2);
    expect(trust('10.0.0.0/8, 127.0.0.1')).toEqual(['10.0.0.0/8', '127.0.0.1']);
    expect(() => trust('everyone')).toThrow(/SIGIL_TRUST_PROXY/);
  });

  it('takes the public URL from SIGIL_PUBLIC_URL, or HOST and PORT, and leaves it open with PORT=0', () => {
    const given = loadConfig({ SIGIL_MASTER_KEY: key, SIGIL_PUBLIC_URL: 'https://sigil.example.com/auth/' });
    expect(given.publicUrl).toBe('https://sigil.example.com/auth');
    expect(loadConfig({ SIGIL_MASTER_KEY: key, HOST: '0.0.0.0', PORT: '9000' }).publicUrl).toBe(
      'http://127.0.0.1:9000',
    );
    expect(loadConfig({ SIGIL_MASTER_KEY: key, PORT: '0' }).publicUrl).toBeUndefined();
    expect(() => loadConfig({ SIGIL_MASTER_KEY: key, SIGIL_PUBLIC_URL: 'sigil.example.com' })).toThrow(
      /SIGIL_PUBLIC_URL must be an absolute http\(s\) URL/,
    );
    expect(() => loadConfig({ SIGIL_MASTER_KEY: key, SIGIL_PUBLIC_URL: 'ftp://sigil.example.com' })).toThrow(
      /SIGIL_PUBLIC_URL/,
    );
  });

  it('never lets a code live longer than 10 minutes', () => {
    expect(() => loadConfig({ SIGIL_MASTER_KEY: key, SIGIL_OTP_TTL_SECONDS: '601' })).toThrow(/at most 600/);
    expect(loadConfig({ SIGIL_MASTER_KEY: key, SIGIL_OTP_TTL_SECONDS: '300' }).otp.ttlSeconds).toBe(300);
  });

  it('keeps the SMS send budget within a quarter of the code lifetime', () => {
    expect(loadConfig({ SIGIL_MASTER_KEY: key }).sms.sendBudgetMs).toBe(15_000);
    expect(loadConfig({ SIGIL_MASTER_KEY: key, SIGIL_OTP_TTL_SECONDS: '40' }).sms.sendBudgetMs).toBe(10_000);
    expect(() =>
      loadConfig({ SIGIL_MASTER_KEY: key, SIGIL_OTP_TTL_SECONDS: '40', SIGIL_SMS_SEND_BUDGET_MS: '20000' }),
    ).toThrow(/SIGIL_SMS_SEND_BUDGET_MS may be at most a quarter/);
  });

  it('refuses malformed numbers and booleans with the name of the setting', () => {
    expect(() => loadConfig({ SIGIL_MASTER_KEY: key, PORT: 'eighty' })).toThrow(/PORT must be an integer/);
    expect(() => loadConfig({ SIGIL_MASTER_KEY: key, SIGIL_OTP_LENGTH: '4' })).toThrow(/SIGIL_OTP_LENGTH/);
    expect(() => loadConfig({ SIGIL_MASTER_KEY: key, SIGIL_WEBHOOK_ALLOW_LOOPBACK: 'maybe' })).toThrow(
      /SIGIL_WEBHOOK_ALLOW_LOOPBACK must be true or false/,
    );
    expect(() => loadConfig({ SIGIL_MASTER_KEY: key, DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL/);
  });

  it('requires a master key in production, and generates one (mode 0600) in development', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', SIGIL_DATA_DIR: dataDir() })).toThrow(
      /SIGIL_MASTER_KEY is required/,
    );
    const dir = dataDir();
    const first = loadConfig({ SIGIL_DATA_DIR: dir });
    expect(statSync(join(dir, 'master.key')).mode & 0o777).toBe(0o600);
    expect(loadConfig({ SIGIL_DATA_DIR: dir }).masterKey.equals(first.masterKey)).toBe(true);
    expect(Buffer.from(readFileSync(join(dir, 'master.key'), 'utf8').trim(), 'base64')).toHaveLength(32);
    expect(() => loadConfig({ SIGIL_MASTER_KEY: 'c2hvcnQ=' })).toThrow(/at least 32 bytes/);
  });

  it('allows loopback webhooks and the dev log only outside production', () => {
    const dev = loadConfig({ SIGIL_MASTER_KEY: key });
    expect(dev.sms).toMatchObject({
      webhookAllowLoopback: true,
      webhookAllowPrivateNetworks: false,
      devLogMessages: true,
    });
    const prod = loadConfig({ NODE_ENV: 'production', SIGIL_MASTER_KEY: key, SIGIL_DEV_SMS_LOG: 'true' });
    expect(prod.sms).toMatchObject({ webhookAllowLoopback: false, devLogMessages: false });
    expect(prod.bootstrapDevTenant).toBe(false);
  });
});
