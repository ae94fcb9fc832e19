import { act, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { authApi, createTypedClient, toTokens, type Schemas } from '../../lib/client';
import { apiError, FakeApi, json } from '../../test/fakeApi';
import { renderWithSocket } from '../../test/render';
import { AuthProvider, useSession, useTokens } from './AuthProvider';
import { Session, STORAGE_KEY } from './session';

function sessionWire(n: number, expiresIn = 900): Schemas['SessionPublic'] {
  return {
    access_token: `access-${n}`,
    refresh_token: `refresh-${n}`,
    token_type: 'bearer',
    expires_in: expiresIn,
    user: { id: 'u1', email: 'ada@example.com', display_name: 'Ada', role: 'user', created_at: '2026-11-28T12:00:00Z' },
  };
}

/** What the signed-in header shows: who is signed in, and the way out. */
function Who() {
  const tokens = useTokens();
  const session = useSession();
  if (!tokens) return <p>Signed out</p>;
  return (
    <button type="button" onClick={() => void session.signOut()}>
      Sign out {tokens.user.displayName}
    </button>
  );
}

function setup(api: FakeApi) {
  const session = new Session(authApi(createTypedClient({ baseUrl: 'http://cryptopulse.test', fetch: api.fetch })), window.localStorage);
  const rendered = renderWithSocket(
    <AuthProvider session={session}>
      <Who />
    </AuthProvider>,
    api,
  );
  act(() => rendered.gateway.open());
  const socketAuth = () => rendered.gateway.received().filter((m) => m.action === 'auth' || m.action === 'sign_out');
  return { ...rendered, session, socketAuth };
}

describe('AuthProvider', () => {
  afterEach(() => window.localStorage.clear());

  it('signs the socket in with the session’s access token, and out when the user signs out', async () => {
    const api = new FakeApi().on('POST', '/api/auth/logout', new Response(null, { status: 204 }));
    const { session, socketAuth, user } = setup(api);
    expect(await screen.findByText('Signed out')).toBeInTheDocument();
    expect(socketAuth().filter((m) => m.action === 'auth')).toEqual([]);

    act(() => session.start(toTokens(sessionWire(1))));
    expect(socketAuth()).toContainEqual({ action: 'auth', token: 'access-1' });

    await user.click(screen.getByRole('button', { name: 'Sign out Ada' }));
    expect(screen.getByText('Signed out')).toBeInTheDocument();
    expect(socketAuth().at(-1)).toEqual({ action: 'sign_out' });
    expect(api.sent('POST', '/api/auth/logout').map((r) => r.body)).toEqual([{ refresh_token: 'refresh-1' }]);
    expect(window.localStorage.getItem(STORAGE_KEY)).toBeNull();
  });

  it('picks up the session kept from an earlier visit', async () => {
    window.localStorage.setItem(STORAGE_KEY, JSON.stringify(toTokens(sessionWire(2))));
    const { socketAuth } = setup(new FakeApi());

    expect(await screen.findByRole('button', { name: 'Sign out Ada' })).toBeInTheDocument();
    expect(socketAuth()).toContainEqual({ action: 'auth', token: 'access-2' });
  });

  it('renews a kept session whose access token lapsed before showing it', async () => {
    window.localStorage.setItem(STORAGE_KEY, JSON.stringify(toTokens(sessionWire(3, 0))));
    const api = new FakeApi().on('POST', '/api/auth/refresh', json(sessionWire(4)));
    const { socketAuth } = setup(api);

    expect(await screen.findByRole('button', { name: 'Sign out Ada' })).toBeInTheDocument();
    expect(api.sent('POST', '/api/auth/refresh').map((r) => r.body)).toEqual([{ refresh_token: 'refresh-3' }]);
    expect(socketAuth()).toContainEqual({ action: 'auth', token: 'access-4' });
  });

  it('ends a kept session the server refuses to renew', async () => {
    window.localStorage.setItem(STORAGE_KEY, JSON.stringify(toTokens(sessionWire(5, 0))));
    const api = new FakeApi().on('POST', '/api/auth/refresh', apiError(401, 'refresh_refused', 'the session has ended'));
    setup(api);

    expect(await screen.findByText('Signed out')).toBeInTheDocument();
    expect(window.localStorage.getItem(STORAGE_KEY)).toBeNull();
  });

  it('follows another tab signing out', async () => {
    window.localStorage.setItem(STORAGE_KEY, JSON.stringify(toTokens(sessionWire(6))));
    setup(new FakeApi());
    await screen.findByRole('button', { name: 'Sign out Ada' });

    window.localStorage.removeItem(STORAGE_KEY);
    act(() => window.dispatchEvent(new StorageEvent('storage', { key: STORAGE_KEY })));

    expect(screen.getByText('Signed out')).toBeInTheDocument();
  });
});
