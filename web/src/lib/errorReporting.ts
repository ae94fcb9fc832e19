/**
 * Sentry in the web app, only when a DSN was given at build time (`VITE_SENTRY_DSN`). Without
 * one the SDK is never loaded (it is a separate chunk, imported on demand), so no code runs and
 * nothing is sent. With one: no user data, cookies, headers or bodies, no tracing, and every event and breadcrumb passes
 * the same redaction as the services' logs (tokens, key=value secrets, JWTs, URL passwords).
 */

import type { BrowserOptions, ErrorEvent, Breadcrumb } from '@sentry/react';

export interface ErrorReportingEnv {
  VITE_SENTRY_DSN?: string;
  MODE: string;
}

type SentryModule = Pick<typeof import('@sentry/react'), 'init'>;

const REDACTED = '[REDACTED]';
const SECRET_KEY = /(secret|password|passwd|token|api[_-]?key|signature|authorization)/i;
const SECRET_PAIR =
  /((?:secret|password|passwd|token|api[_-]?key|signature|authorization)[\w-]*)(["']?\s*[:=]\s*["']?)([^\s"'&,}]+)/gi;
const URL_PASSWORD = /([a-z][a-z0-9+.-]*:\/\/[^:/@\s]+:)([^@\s]+)(@)/gi;
const BEARER = /(\b(?:bearer|basic)\s+)[A-Za-z0-9._~+/=-]+/gi;
const JWT = /\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g;

/** `text` with secrets replaced by `[REDACTED]` (the rules of the services' log redaction). */
export function redact(text: string): string {
  return text
    .replace(URL_PASSWORD, `$1${REDACTED}$3`)
    .replace(JWT, REDACTED)
    .replace(BEARER, `$1${REDACTED}`)
    .replace(SECRET_PAIR, `$1$2${REDACTED}`);
}

/** `value` with secrets redacted at every depth: under secret-named keys, and inside strings. */
export function scrub<T>(value: T, key = ''): T {
  if (key && SECRET_KEY.test(key)) return REDACTED as T;
  if (typeof value === 'string') return redact(value) as T;
  if (Array.isArray(value)) return value.map((item: unknown) => scrub(item)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrub(v, k)])) as T;
  }
  return value;
}

/** The options Sentry starts with for `dsn`. */
export function sentryOptions(dsn: string, environment: string): BrowserOptions {
  return {
    dsn,
    environment,
    release: 'cryptopulse-web@0.1.0',
    // No user info, cookies, headers, bodies or query strings: they may carry tokens or PII.
    dataCollection: { userInfo: false, cookies: false, httpHeaders: false, httpBodies: [], urlQueryParams: false },
    tracesSampleRate: 0,
    beforeSend: (event: ErrorEvent) => scrub(event),
    beforeBreadcrumb: (crumb: Breadcrumb) => scrub(crumb),
  };
}

/** Start Sentry if the build has a DSN; resolves to whether it started. */
export async function startErrorReporting(
  env: ErrorReportingEnv,
  load: () => Promise<SentryModule> = () => import('@sentry/react'),
): Promise<boolean> {
  const dsn = env.VITE_SENTRY_DSN?.trim();
  if (!dsn) return false;
  const sentry = await load();
  sentry.init(sentryOptions(dsn, env.MODE));
  return true;
}
