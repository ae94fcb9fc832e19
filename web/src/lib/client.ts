/**
 * The typed client for the signed-in API: openapi-fetch over the gateway's OpenAPI document
 * (api.gen.ts), so paths, parameters and bodies are checked by the compiler.
 *
 * `authMiddleware` signs every request with the session's access token and, when the server says
 * 401, renews the session once and retries once — a token can lapse between the check and the
 * call. `call` turns openapi-fetch's `{data, error}` into a value or an `ApiError`, the one
 * failure type the app shows.
 */
import createClient, { type Client, type Middleware } from 'openapi-fetch';
import type { Credentials, SignInActions } from '../features/auth/SignInForm';
import { SessionRefused, type AuthApi, type Tokens } from '../features/auth/session';
import { ApiError, isAbortError } from './api';
import type { components, paths } from './api.gen';
import { isRecord } from './protocol';

export type Schemas = components['schemas'];
export type TypedClient = Client<paths>;

type FetchFn = (input: Request) => Promise<Response>;

export interface TypedClientOptions {
  /** Origin (or prefix) the `/api/...` paths hang off. Default: same origin. */
  baseUrl?: string;
  fetch?: FetchFn;
}

export function createTypedClient(options: TypedClientOptions = {}): TypedClient {
  const fetchFn: FetchFn = options.fetch ?? ((request) => globalThis.fetch(request));
  const origin = typeof location === 'undefined' ? '' : location.origin;
  return createClient<paths>({ baseUrl: options.baseUrl ?? origin, fetch: fetchFn });
}

/** What the middleware needs of the session (Session implements it). */
export interface TokenSource {
  readonly current: Tokens | null;
  renew(): Promise<Tokens | null>;
}

/** Paths that take no bearer token; a 401 there is the answer, not a lapsed token. */
const UNSIGNED = new Set(['/api/auth/signup', '/api/auth/login', '/api/auth/refresh', '/api/auth/logout']);

/** Bearer token on every signed request; on a 401, one renewal and one retry. */
export function authMiddleware(session: TokenSource): Middleware {
  // The request body is spent once sent, so keep an untouched copy for the retry.
  const originals = new Map<string, Request>();
  return {
    onRequest({ request, schemaPath, id }) {
      if (UNSIGNED.has(schemaPath)) return undefined;
      originals.set(id, request.clone());
      const token = session.current?.accessToken;
      if (token) request.headers.set('Authorization', `Bearer ${token}`);
      return request;
    },
    async onResponse({ request, response, options, id }) {
      const original = originals.get(id);
      originals.delete(id);
      if (response.status !== 401 || !original) return undefined;
      const sentWith = request.headers.get('Authorization');
      // Another request may have renewed already; only ask the server when our token is the latest.
      const current = session.current;
      const renewed =
        current && `Bearer ${current.accessToken}` !== sentWith ? current : await session.renew();
      if (!renewed) return undefined; // the session ended; the 401 stands
      if (`Bearer ${renewed.accessToken}` === sentWith) return undefined; // nothing new to try
      const retry = original.clone();
      retry.headers.set('Authorization', `Bearer ${renewed.accessToken}`);
      return options.fetch(retry);
    },
    onError({ id }) {
      originals.delete(id);
      return undefined;
    },
  };
}

/** The server's `{"error": {"code", "message"}}`, or a fallback naming the HTTP status. */
export function toApiError(response: Response, body: unknown): ApiError {
  const err = isRecord(body) && isRecord(body.error) ? body.error : null;
  const code = err && typeof err.code === 'string' ? err.code : `http_${response.status}`;
  const message =
    err && typeof err.message === 'string' && err.message !== ''
      ? err.message
      : `Request failed with HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}.`;
  return new ApiError(response.status, code, message);
}

interface Outcome<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/**
 * Awaits one typed call and returns its data; every failure becomes an `ApiError` (aborts are
 * re-thrown as they are, so callers can ignore them). `T` is the success body (`undefined` for 204).
 */
export async function call<T>(pending: Promise<Outcome<T>>): Promise<T> {
  let outcome: Outcome<T>;
  try {
    outcome = await pending;
  } catch (error) {
    if (isAbortError(error)) throw error;
    // openapi-fetch parses only successful bodies itself, so a SyntaxError means a 2xx that is not JSON.
    if (error instanceof SyntaxError) throw new ApiError(200, 'bad_response', 'The server sent an unexpected response.');
    throw new ApiError(0, 'network_error', 'The server could not be reached.');
  }
  const { response } = outcome;
  if (!response.ok) throw toApiError(response, outcome.error);
  return outcome.data as T;
}

export function toTokens(session: Schemas['SessionPublic'], now: number = Date.now()): Tokens {
  return {
    accessToken: session.access_token,
    refreshToken: session.refresh_token,
    expiresAt: now + session.expires_in * 1000,
    user: {
      id: session.user.id,
      email: session.user.email,
      displayName: session.user.display_name,
      role: session.user.role,
    },
  };
}

/** The session's server side (refresh, logout) and the sign-in form's actions, over the client. */
export function authApi(client: TypedClient, now: () => number = Date.now): AuthApi & SignInActions {
  return {
    async refresh(refreshToken: string): Promise<Tokens> {
      try {
        const session = await call(client.POST('/api/auth/refresh', { body: { refresh_token: refreshToken } }));
        return toTokens(session, now());
      } catch (error) {
        // A definite refusal ends the session; no answer (network, 5xx) keeps it for a later try.
        if (error instanceof ApiError && error.status >= 400 && error.status < 500) {
          throw new SessionRefused(error.message);
        }
        throw error;
      }
    },
    async logout(refreshToken: string): Promise<void> {
      await call(client.POST('/api/auth/logout', { body: { refresh_token: refreshToken } }));
    },
    async logIn({ email, password }: Pick<Credentials, 'email' | 'password'>): Promise<Tokens> {
      return toTokens(await call(client.POST('/api/auth/login', { body: { email, password } })), now());
    },
    async signUp({ email, password, displayName }: Credentials): Promise<Tokens> {
      const body = { email, password, display_name: displayName };
      return toTokens(await call(client.POST('/api/auth/signup', { body })), now());
    },
  };
}
