import { describe, expect, it, vi } from 'vitest';
import { SessionRefused, type Tokens } from '../features/auth/session';
import { ApiError } from './api';
import { authApi, authMiddleware, call, createTypedClient, type TokenSource } from './client';

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

function tokens(accessToken: string): Tokens {
  return {
    accessToken,
    refreshToken: `r-${accessToken}`,
    expiresAt: 0,
    user: { id: 'u1', email: 'a@b.c', displayName: 'A', role: 'user' },
  };
}

/** A session whose renewal hands out `next` (or null: the server refused). */
function fakeSession(start: Tokens | null, next: Tokens | null): TokenSource & { current: Tokens | null; renewals: number } {
  const source: { current: Tokens | null; renewals: number; renew(): Promise<Tokens | null> } = {
    current: start,
    renewals: 0,
    renew: async () => {
      source.renewals += 1;
      source.current = next;
      return next;
    },
  };
  return source;
}

const sessionWire = {
  access_token: 'acc',
  token_type: 'bearer',
  expires_in: 900,
  refresh_token: 'ref',
  user: { id: 'u1', email: 'a@b.c', display_name: 'Ada', role: 'user', created_at: '2026-01-01T00:00:00Z' },
};

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: unknown) => e,
  );
}

describe('typed client', () => {
  it('sends the bearer token of the current session', async () => {
    const fetch = vi.fn(async (_request: Request) => json({ mode: 'manual', reduce_only: false, reduce_only_since: null, updated_at: null }));
    const client = createTypedClient({ fetch, baseUrl: 'http://x' });
    client.use(authMiddleware(fakeSession(tokens('t1'), null)));
    const mode = await call(client.GET('/api/mode'));
    expect(mode.mode).toBe('manual');
    const request = fetch.mock.calls[0]![0];
    expect(new URL(request.url).pathname).toBe('/api/mode');
    expect(request.headers.get('Authorization')).toBe('Bearer t1');
  });

  it('renews once and retries once, with the same body, when the server says 401', async () => {
    const seen: { auth: string | null; body: string }[] = [];
    const fetch = vi.fn(async (request: Request) => {
      seen.push({ auth: request.headers.get('Authorization'), body: await request.text() });
      return seen.length === 1 ? json({ error: { code: 'token_expired', message: 'expired' } }, 401) : json({ accepted: true }, 202);
    });
    const session = fakeSession(tokens('old'), tokens('new'));
    const client = createTypedClient({ fetch, baseUrl: 'http://x' });
    client.use(authMiddleware(session));
    await call(client.POST('/api/intents/{intent_id}/approve', { params: { path: { intent_id: 'i1' } }, body: { digest: 'd', reason: '' } }));
    expect(session.renewals).toBe(1);
    expect(seen).toEqual([
      { auth: 'Bearer old', body: '{"digest":"d","reason":""}' },
      { auth: 'Bearer new', body: '{"digest":"d","reason":""}' },
    ]);
  });

  it('does not retry a second time: a 401 after the renewal is the answer', async () => {
    const fetch = vi.fn(async () => json({ error: { code: 'forbidden_token', message: 'Token refused' } }, 401));
    const session = fakeSession(tokens('old'), tokens('new'));
    const client = createTypedClient({ fetch, baseUrl: 'http://x' });
    client.use(authMiddleware(session));
    const error = await rejection(call(client.GET('/api/orders')));
    expect(error).toMatchObject({ status: 401, code: 'forbidden_token', message: 'Token refused' });
    expect(fetch).toHaveBeenCalledTimes(2);
    expect(session.renewals).toBe(1);
  });

  it('uses a token another request renewed meanwhile instead of renewing again', async () => {
    const session = fakeSession(tokens('old'), tokens('never'));
    const fetch = vi.fn(async (request: Request) => {
      if (request.headers.get('Authorization') === 'Bearer old') {
        session.current = tokens('fresh'); // renewed by someone else while this one was in flight
        return json({ error: { code: 'token_expired', message: 'expired' } }, 401);
      }
      return json({ data: [] });
    });
    const client = createTypedClient({ fetch, baseUrl: 'http://x' });
    client.use(authMiddleware(session));
    await call(client.GET('/api/positions'));
    expect(session.renewals).toBe(0);
    expect(fetch.mock.calls[1]![0].headers.get('Authorization')).toBe('Bearer fresh');
  });

  it('leaves the 401 standing when the session cannot be renewed', async () => {
    const fetch = vi.fn(async () => json({ error: { code: 'token_expired', message: 'expired' } }, 401));
    const client = createTypedClient({ fetch, baseUrl: 'http://x' });
    client.use(authMiddleware(fakeSession(tokens('old'), null)));
    expect(await rejection(call(client.GET('/api/positions')))).toMatchObject({ status: 401, code: 'token_expired' });
    expect(fetch).toHaveBeenCalledTimes(1);
  });

  it('signs no auth request and never retries one', async () => {
    const fetch = vi.fn(async () => json({ error: { code: 'invalid_credentials', message: 'Wrong e-mail or password' } }, 401));
    const session = fakeSession(tokens('t1'), tokens('t2'));
    const client = createTypedClient({ fetch, baseUrl: 'http://x' });
    client.use(authMiddleware(session));
    const error = await rejection(authApi(client).logIn({ email: 'a@b.c', password: 'x' }));
    expect(error).toMatchObject({ status: 401, code: 'invalid_credentials', message: 'Wrong e-mail or password' });
    expect(fetch.mock.calls.length).toBe(1);
    expect((fetch.mock.calls[0] as unknown as [Request])[0].headers.get('Authorization')).toBeNull();
    expect(session.renewals).toBe(0);
  });
});

describe('call: every failure is an ApiError', () => {
  it('keeps the server error envelope', async () => {
    const client = createTypedClient({
      baseUrl: 'http://x',
      fetch: async () => json({ error: { code: 'approval_mismatch', message: 'The order changed since you saw it' } }, 409),
    });
    const error = await rejection(
      call(client.POST('/api/intents/{intent_id}/approve', { params: { path: { intent_id: 'i1' } }, body: { digest: 'd', reason: '' } })),
    );
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 409, code: 'approval_mismatch', message: 'The order changed since you saw it' });
  });

  it('falls back to http_<status> for a body that is not the envelope', async () => {
    const client = createTypedClient({
      baseUrl: 'http://x',
      fetch: async () => new Response('<html>Bad Gateway</html>', { status: 502, statusText: 'Bad Gateway' }),
    });
    const error = await rejection(call(client.GET('/api/orders')));
    expect(error).toMatchObject({ status: 502, code: 'http_502' });
    expect((error as ApiError).message).toContain('502');
  });

  it('maps no answer to status 0 / network_error', async () => {
    const client = createTypedClient({
      baseUrl: 'http://x',
      fetch: async () => {
        throw new TypeError('Failed to fetch');
      },
    });
    expect(await rejection(call(client.GET('/api/orders')))).toMatchObject({ status: 0, code: 'network_error' });
  });

  it('maps a 200 that is not JSON to bad_response', async () => {
    const client = createTypedClient({ baseUrl: 'http://x', fetch: async () => new Response('not json', { status: 200 }) });
    expect(await rejection(call(client.GET('/api/orders')))).toMatchObject({ code: 'bad_response' });
  });

  it('re-throws aborts untouched', async () => {
    const controller = new AbortController();
    const client = createTypedClient({
      baseUrl: 'http://x',
      fetch: (request) =>
        new Promise<Response>((_resolve, reject) => {
          request.signal.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
        }),
    });
    const pending = call(client.GET('/api/orders', { signal: controller.signal }));
    controller.abort();
    const error = await rejection(pending);
    expect(error).not.toBeInstanceOf(ApiError);
    expect((error as DOMException).name).toBe('AbortError');
  });

  it('returns undefined for a 204', async () => {
    const client = createTypedClient({ baseUrl: 'http://x', fetch: async () => new Response(null, { status: 204 }) });
    await expect(call(client.DELETE('/api/rules/{rule_id}', { params: { path: { rule_id: 'r1' } } }))).resolves.toBeUndefined();
  });
});

describe('authApi', () => {
  it('turns a session into tokens that lapse expires_in seconds from now', async () => {
    const fetch = vi.fn(async (_request: Request) => json(sessionWire, 201));
    const api = authApi(createTypedClient({ fetch, baseUrl: 'http://x' }), () => 1_000_000);
    const signedUp = await api.signUp({ email: 'a@b.c', password: 'long enough pw', displayName: 'Ada' });
    expect(signedUp).toEqual({
      accessToken: 'acc',
      refreshToken: 'ref',
      expiresAt: 1_000_000 + 900_000,
      user: { id: 'u1', email: 'a@b.c', displayName: 'Ada', role: 'user' },
    });
    const request = fetch.mock.calls[0]![0];
    expect(new URL(request.url).pathname).toBe('/api/auth/signup');
    expect(await request.json()).toEqual({ email: 'a@b.c', password: 'long enough pw', display_name: 'Ada' });
  });

  it('reports a refused refresh token as SessionRefused, and no answer as a plain error', async () => {
    const refused = authApi(createTypedClient({ baseUrl: 'http://x', fetch: async () => json({ error: { code: 'refresh_reused', message: 'Signed out' } }, 401) }));
    expect(await rejection(refused.refresh('r'))).toBeInstanceOf(SessionRefused);
    const offline = authApi(
      createTypedClient({
        baseUrl: 'http://x',
        fetch: async () => {
          throw new TypeError('Failed to fetch');
        },
      }),
    );
    const error = await rejection(offline.refresh('r'));
    expect(error).not.toBeInstanceOf(SessionRefused);
    expect(error).toMatchObject({ code: 'network_error' });
    const down = authApi(createTypedClient({ baseUrl: 'http://x', fetch: async () => json({ error: { code: 'unavailable', message: 'down' } }, 503) }));
    expect(await rejection(down.refresh('r'))).not.toBeInstanceOf(SessionRefused);
  });

  it('logs out with the refresh token', async () => {
    const fetch = vi.fn(async (_request: Request) => new Response(null, { status: 204 }));
    await authApi(createTypedClient({ fetch, baseUrl: 'http://x' })).logout('ref');
    expect(await fetch.mock.calls[0]![0].json()).toEqual({ refresh_token: 'ref' });
  });
});
