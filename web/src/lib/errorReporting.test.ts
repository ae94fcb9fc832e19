import { describe, expect, it } from 'vitest';
import type { BrowserOptions, ErrorEvent } from '@sentry/react';
import { redact, sentryOptions, startErrorReporting } from './errorReporting';

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJl';

describe('error reporting', () => {
  it('without a DSN never loads the SDK', async () => {
    let loaded = 0;
    const load = () => {
      loaded += 1;
      return Promise.resolve({ init: () => undefined });
    };
    expect(await startErrorReporting({ MODE: 'production' }, load)).toBe(false);
    expect(await startErrorReporting({ MODE: 'production', VITE_SENTRY_DSN: '  ' }, load)).toBe(false);
    expect(loaded).toBe(0);
  });

  it('with a DSN starts Sentry without user data, headers or tracing', async () => {
    const seen: BrowserOptions[] = [];
    const load = () => Promise.resolve({ init: (options: BrowserOptions) => void seen.push(options) });
    const dsn = 'https://public@sentry.example/1';
    expect(await startErrorReporting({ MODE: 'production', VITE_SENTRY_DSN: dsn }, load)).toBe(true);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ dsn, environment: 'production', tracesSampleRate: 0 });
    expect(seen[0]?.dataCollection).toMatchObject({ userInfo: false, cookies: false, httpHeaders: false });
  });

  it('redacts tokens, key=value secrets and URL passwords like the services do', () => {
    expect(redact(`Authorization: Bearer ${JWT}`)).toBe('Authorization: [REDACTED] [REDACTED]');
    expect(redact('failed with api_key=abc123 for x')).toBe('failed with api_key=[REDACTED] for x');
    expect(redact('wss://user:hunter2@example.com/ws')).toBe('wss://user:[REDACTED]@example.com/ws');
    expect(redact('nothing secret here')).toBe('nothing secret here');
  });

  it('scrubs every event before it is sent', () => {
    const event = {
      message: `token ${JWT} refused`,
      extra: { access_token: 'plain-value', nested: [{ note: 'password=swordfish' }] },
    } as unknown as ErrorEvent;
    const sent = sentryOptions('https://public@sentry.example/1', 'test').beforeSend?.(event, {});
    const text = JSON.stringify(sent);
    expect(text).not.toContain(JWT);
    expect(text).not.toContain('plain-value');
    expect(text).not.toContain('swordfish');
    expect(text).toContain('[REDACTED]');
  });
});
