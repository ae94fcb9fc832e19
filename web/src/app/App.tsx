import { AppShell } from '../components/AppShell';
import { ConnectionStatus } from '../components/ConnectionStatus';
import { ErrorBoundary } from '../components/ErrorBoundary';
import { MarketPanel } from '../features/market/MarketPanel';
import { api } from '../lib/api';
import { SocketProvider, useConnectionStatus } from './socket';

function HeaderStatus() {
  return <ConnectionStatus status={useConnectionStatus()} />;
}

export function App() {
  return (
    <SocketProvider>
      <AppShell status={<HeaderStatus />}>
        <ErrorBoundary title="The market panel crashed">
          <MarketPanel api={api} />
        </ErrorBoundary>
      </AppShell>
    </SocketProvider>
  );
}
