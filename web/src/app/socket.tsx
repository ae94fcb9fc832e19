import { createContext, useContext, useEffect, useState, useSyncExternalStore, type ReactNode } from 'react';
import { parseServerMessage, type ClientMessage, type ServerMessage } from '../lib/protocol';
import { ReconnectingSocket, sameOriginWsUrl, type ConnectionStatus } from '../lib/ws';

export type AppSocket = ReconnectingSocket<ServerMessage, ClientMessage>;

export const WS_PATH = '/api/ws';

export function createAppSocket(): AppSocket {
  return new ReconnectingSocket<ServerMessage, ClientMessage>({
    url: () => sameOriginWsUrl(WS_PATH),
    parse: parseServerMessage,
    // The gateway answers {"action":"ping"} with {"type":"pong"}; this keeps
    // the stale-connection watchdog (60 s) quiet when the market is idle.
    heartbeat: { message: { action: 'ping' } satisfies ClientMessage, everyMs: 20_000 },
  });
}

const SocketContext = createContext<AppSocket | null>(null);

/** Owns the single app-wide WebSocket connection. */
export function SocketProvider({ children, socket: injected }: { children: ReactNode; socket?: AppSocket }) {
  const [socket] = useState<AppSocket>(() => injected ?? createAppSocket());
  useEffect(() => {
    socket.start();
    return () => socket.stop();
  }, [socket]);
  return <SocketContext.Provider value={socket}>{children}</SocketContext.Provider>;
}

export function useSocket(): AppSocket {
  const socket = useContext(SocketContext);
  if (!socket) throw new Error('useSocket must be used inside <SocketProvider>');
  return socket;
}

export function useConnectionStatus(): ConnectionStatus {
  const socket = useSocket();
  return useSyncExternalStore(
    (onChange) => socket.onStatus(onChange),
    () => socket.status,
  );
}
