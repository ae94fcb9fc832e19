import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { authApi, createTypedClient, type Schemas } from '../../lib/client';
import { apiError, deferred, FakeApi, json } from '../../test/fakeApi';
import { SignInForm } from './SignInForm';
import type { Tokens } from './session';

function sessionWire(email = 'ada@example.com'): Schemas['SessionPublic'] {
  return {
    access_token: 'access-1',
    refresh_token: 'refresh-1',
    token_type: 'bearer',
    expires_in: 900,
    user: { id: 'u1', email, display_name: 'Ada', role: 'user', created_at: '2026-11-28T12:00:00Z' },
  };
}

function setup(api: FakeApi) {
  const onSignedIn = vi.fn<(tokens: Tokens) => void>();
  const actions = authApi(createTypedClient({ baseUrl: 'http://cryptopulse.test', fetch: api.fetch }));
  render(<SignInForm actions={actions} onSignedIn={onSignedIn} />);
  return { onSignedIn, user: userEvent.setup() };
}

describe('SignInForm', () => {
  it('signs in with e-mail and password and hands the session on', async () => {
    const api = new FakeApi().on('POST', '/api/auth/login', json(sessionWire()));
    const { onSignedIn, user } = setup(api);

    await user.type(screen.getByLabelText('E-mail'), 'ada@example.com');
    await user.type(screen.getByLabelText('Password'), 'correct horse battery');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));

    expect(api.sent('POST', '/api/auth/login').map((r) => r.body)).toEqual([
      { email: 'ada@example.com', password: 'correct horse battery' },
    ]);
    expect(onSignedIn).toHaveBeenCalledOnce();
    expect(onSignedIn.mock.calls[0]?.[0]).toMatchObject({ accessToken: 'access-1', user: { displayName: 'Ada' } });
  });

  it('creates an account with a display name, the password rule shown as the field’s description', async () => {
    const api = new FakeApi().on('POST', '/api/auth/signup', json(sessionWire(), 201));
    const { onSignedIn, user } = setup(api);

    await user.click(screen.getByRole('button', { name: 'Create an account' }));
    expect(screen.getByRole('heading', { name: 'Create your account' })).toBeInTheDocument();
    expect(screen.getByLabelText('Password')).toHaveAccessibleDescription(
      'At least 10 characters, and not your e-mail address.',
    );

    await user.type(screen.getByLabelText('E-mail'), 'ada@example.com');
    await user.type(screen.getByLabelText('Display name'), 'Ada L.');
    await user.type(screen.getByLabelText('Password'), 'correct horse battery');
    await user.click(screen.getByRole('button', { name: 'Create account' }));

    expect(api.sent('POST', '/api/auth/signup').map((r) => r.body)).toEqual([
      { email: 'ada@example.com', password: 'correct horse battery', display_name: 'Ada L.' },
    ]);
    expect(onSignedIn).toHaveBeenCalledOnce();
  });

  it('shows the server’s validation message, keeps what was typed, and does not sign in', async () => {
    const api = new FakeApi().on(
      'POST',
      '/api/auth/signup',
      apiError(422, 'invalid_request', 'password: Value error, the password must be at least 10 characters'),
    );
    const { onSignedIn, user } = setup(api);

    await user.click(screen.getByRole('button', { name: 'Create an account' }));
    await user.type(screen.getByLabelText('E-mail'), 'ada@example.com');
    await user.type(screen.getByLabelText('Password'), 'short');
    await user.click(screen.getByRole('button', { name: 'Create account' }));

    expect(await screen.findByRole('alert')).toHaveTextContent(
      'password: Value error, the password must be at least 10 characters',
    );
    expect(screen.getByLabelText('E-mail')).toHaveValue('ada@example.com');
    expect(screen.getByLabelText('Password')).toHaveValue('short');
    expect(onSignedIn).not.toHaveBeenCalled();
  });

  it('says how long to wait after too many failed logins (429 with Retry-After)', async () => {
    const api = new FakeApi().on(
      'POST',
      '/api/auth/login',
      apiError(429, 'too_many_attempts', 'too many failed logins; try again in 840 s', { 'Retry-After': '840' }),
    );
    const { onSignedIn, user } = setup(api);

    await user.type(screen.getByLabelText('E-mail'), 'ada@example.com');
    await user.type(screen.getByLabelText('Password'), 'wrong password');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));

    expect(await screen.findByRole('alert')).toHaveTextContent('too many failed logins; try again in 840 s');
    expect(onSignedIn).not.toHaveBeenCalled();
  });

  it('says the server could not be reached when the network fails, and lets the user try again', async () => {
    const api = new FakeApi().on('POST', '/api/auth/login', () => Promise.reject(new TypeError('Failed to fetch')));
    const { user } = setup(api);

    await user.type(screen.getByLabelText('E-mail'), 'ada@example.com');
    await user.type(screen.getByLabelText('Password'), 'correct horse battery');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));

    expect(await screen.findByRole('alert')).toHaveTextContent('The server could not be reached.');
    expect(screen.getByRole('button', { name: 'Sign in' })).toBeEnabled();
  });

  it('disables the submit button while the request is in flight (no double sign-in)', async () => {
    const reply = deferred();
    const api = new FakeApi().on('POST', '/api/auth/login', () => reply.promise);
    const { onSignedIn, user } = setup(api);

    await user.type(screen.getByLabelText('E-mail'), 'ada@example.com');
    await user.type(screen.getByLabelText('Password'), 'correct horse battery');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(screen.getByRole('button', { name: 'Sign in' })).toBeDisabled();
    await user.click(screen.getByRole('button', { name: 'Sign in' }));

    reply.resolve(json(sessionWire()));
    await vi.waitFor(() => expect(onSignedIn).toHaveBeenCalledOnce());
    expect(api.sent('POST', '/api/auth/login')).toHaveLength(1);
  });

  it('renders a hostile server message as text, never as markup', async () => {
    const hostile = '<img src=x onerror="alert(1)"><script>alert(2)</script>';
    const api = new FakeApi().on('POST', '/api/auth/login', apiError(401, 'invalid_credentials', hostile));
    const { user } = setup(api);

    await user.type(screen.getByLabelText('E-mail'), 'ada@example.com');
    await user.type(screen.getByLabelText('Password'), 'correct horse battery');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));

    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent(hostile);
    expect(alert.querySelector('img, script')).toBeNull();
  });
});
