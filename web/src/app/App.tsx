import { useState } from 'react';
import { AppShell } from '../components/AppShell';
import { ConnectionStatus } from '../components/ConnectionStatus';
import { AuthProvider, useSession, useTokens } from '../features/auth/AuthProvider';
import { Session, type StorageLike } from '../features/auth/session';
import { SignInForm, type SignInActions } from '../features/auth/SignInForm';
import { MarketPanel } from '../features/market/MarketPanel';
import { KillSwitch } from '../features/trading/KillSwitch';
import { ModeSwitch } from '../features/trading/ModeSwitch';
import { SignedInApp } from '../features/trading/SignedInApp';
import { TradingProvider } from '../features/trading/TradingContext';
import { api } from '../lib/api';
import { authApi, authMiddleware, createTypedClient, type TypedClient } from '../lib/client';
import { SocketProvider, useConnectionStatus } from './socket';

interface AppServices {
  client: TypedClient;
  session: Session;
  signIn: SignInActions;
}

function storage(): StorageLike | null {
  try {
    return window.localStorage;
  } catch {
    return null; // storage disabled: the session lasts as long as the page
  }
}

/** The typed client, the session over it, and the client signing its requests with the session. */
export function createAppServices(): AppServices {
  const client = createTypedClient();
  const auth = authApi(client);
  const session = new Session(auth, storage());
  client.use(authMiddleware(session));
  return { client, session, signIn: auth };
}

function HeaderStatus() {
  return <ConnectionStatus status={useConnectionStatus()} />;
}

function HeaderControls() {
  const session = useSession();
  const tokens = useTokens();
  return (
    <>
      <ModeSwitch />
      <KillSwitch />
      <span className="user-name" title={tokens?.user.email}>
        {tokens?.user.displayName}
      </span>
      <button type="button" className="button" onClick={() => void session.signOut()}>
        Sign out
      </button>
    </>
  );
}

function Screens({ services }: { services: AppServices }) {
  const tokens = useTokens();
  if (!tokens) {
    return (
      <AppShell status={<HeaderStatus />}>
        <SignInForm actions={services.signIn} onSignedIn={(t) => services.session.start(t)} />
        {/* Market data needs no account: a visitor sees the live market before signing up. */}
        <MarketPanel api={api} />
      </AppShell>
    );
  }
  return (
    // Keyed by user: another account never sees the previous one's state.
    <TradingProvider client={services.client} key={tokens.user.id}>
      <AppShell status={<HeaderStatus />} controls={<HeaderControls />}>
        <SignedInApp marketApi={api} />
      </AppShell>
    </TradingProvider>
  );
}

export function App() {
  const [services] = useState(createAppServices);
  return (
    <SocketProvider>
      <AuthProvider session={services.session}>
        <Screens services={services} />
      </AuthProvider>
    </SocketProvider>
  );
}
