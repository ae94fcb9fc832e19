import { useId, useState, type FormEvent } from 'react';
import { ApiError } from '../../lib/api';
import type { Tokens } from './session';

export interface Credentials {
  email: string;
  password: string;
  displayName: string;
}

export interface SignInActions {
  logIn(credentials: Pick<Credentials, 'email' | 'password'>): Promise<Tokens>;
  signUp(credentials: Credentials): Promise<Tokens>;
}

/** Log in or create an account; the server's reason is shown as it is (it names the field). */
export function SignInForm({ actions, onSignedIn }: { actions: SignInActions; onSignedIn: (tokens: Tokens) => void }) {
  const [mode, setMode] = useState<'login' | 'signup'>('login');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const id = useId();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const tokens =
        mode === 'login'
          ? await actions.logIn({ email, password })
          : await actions.signUp({ email, password, displayName: displayName || email.split('@')[0] || email });
      onSignedIn(tokens);
    } catch (e) {
      setError(e instanceof ApiError ? e.message : 'Something went wrong; try again.');
    } finally {
      setBusy(false);
    }
  };

  const signingUp = mode === 'signup';
  return (
    <section className="panel auth" aria-labelledby={`${id}-title`}>
      <h2 className="panel__title" id={`${id}-title`}>
        {signingUp ? 'Create your account' : 'Sign in'}
      </h2>
      <form className="auth__form" onSubmit={(e) => void submit(e)} noValidate>
        <div className="field">
          <label htmlFor={`${id}-email`}>E-mail</label>
          <input
            id={`${id}-email`}
            type="email"
            autoComplete="email"
            required
            value={email}
            onChange={(e) => setEmail(e.target.value)}
          />
        </div>
        {signingUp && (
          <div className="field">
            <label htmlFor={`${id}-name`}>Display name</label>
            <input
              id={`${id}-name`}
              autoComplete="nickname"
              maxLength={80}
              value={displayName}
              onChange={(e) => setDisplayName(e.target.value)}
            />
          </div>
        )}
        <div className="field">
          <label htmlFor={`${id}-password`}>Password</label>
          <input
            id={`${id}-password`}
            type="password"
            autoComplete={signingUp ? 'new-password' : 'current-password'}
            required
            minLength={signingUp ? 10 : undefined}
            aria-describedby={signingUp ? `${id}-password-hint` : undefined}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
          {signingUp && (
            <small id={`${id}-password-hint`}>At least 10 characters, and not your e-mail address.</small>
          )}
        </div>
        {error && (
          <p className="auth__error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="button" disabled={busy}>
          {signingUp ? 'Create account' : 'Sign in'}
        </button>
        <button
          type="button"
          className="button button--link"
          onClick={() => {
            setMode(signingUp ? 'login' : 'signup');
            setError(null);
          }}
        >
          {signingUp ? 'I have an account' : 'Create an account'}
        </button>
      </form>
    </section>
  );
}
