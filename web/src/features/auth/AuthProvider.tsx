import { createContext, useContext, useEffect, useState, useSyncExternalStore, type ReactNode } from 'react';
import { useSocket } from '../../app/socket';
import { Session, type Tokens } from './session';

const SessionContext = createContext<Session | null>(null);

/**
 * Owns the session for the app: restores it on load, keeps tabs in step through storage events,
 * and signs the shared socket in with every new access token (and out when the session ends).
 */
export function AuthProvider({ session, children }: { session: Session; children: ReactNode }) {
  const socket = useSocket();
  const [restored, setRestored] = useState(false);

  useEffect(() => {
    void session.restore().finally(() => setRestored(true));
    const onStorage = () => session.syncFromStorage();
    window.addEventListener('storage', onStorage);
    return () => {
      window.removeEventListener('storage', onStorage);
      session.stop();
    };
  }, [session]);

  useEffect(() => {
    const signIn = (tokens: Tokens | null) => {
      if (tokens) {
        socket.setPersistent('auth', { action: 'auth', token: tokens.accessToken });
      } else {
        socket.setPersistent('auth', null);
        socket.send({ action: 'sign_out' });
      }
    };
    signIn(session.current);
    return session.subscribe(signIn);
  }, [session, socket]);

  if (!restored) return null;
  return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession must be used inside <AuthProvider>');
  return session;
}

/** The signed-in tokens, or null; re-renders on sign-in, renewal and sign-out. */
export function useTokens(): Tokens | null {
  const session = useSession();
  return useSyncExternalStore(
    (onChange) => session.subscribe(onChange),
    () => session.current,
  );
}
