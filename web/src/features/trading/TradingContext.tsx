import { createContext, useCallback, useContext, useEffect, useRef, useState, type ReactNode } from 'react';
import { useSocket } from '../../app/socket';
import { ApiError, isAbortError } from '../../lib/api';
import type { TypedClient } from '../../lib/client';
import { ALL_RESOURCES, bump, INITIAL_VERSIONS, staleAfter, type Resource, type Versions } from './refresh';

interface Trading {
  client: TypedClient;
  versions: Versions;
}

const TradingContext = createContext<Trading | null>(null);

/**
 * The signed-in client plus a version per REST resource, bumped whenever a socket message makes
 * it stale and after every reconnect; panels refetch when their resource's version moves.
 */
export function TradingProvider({ client, children }: { client: TypedClient; children: ReactNode }) {
  const socket = useSocket();
  const [versions, setVersions] = useState<Versions>(INITIAL_VERSIONS);

  useEffect(() => {
    const offMessage = socket.onMessage((message) => setVersions((v) => bump(v, staleAfter(message))));
    let wasConnected = socket.status === 'connected';
    const offStatus = socket.onStatus((status) => {
      const connected = status === 'connected';
      if (connected && !wasConnected) setVersions((v) => bump(v, ALL_RESOURCES)); // events may have been missed
      wasConnected = connected;
    });
    return () => {
      offMessage();
      offStatus();
    };
  }, [socket]);

  return <TradingContext.Provider value={{ client, versions }}>{children}</TradingContext.Provider>;
}

export function useTrading(): Trading {
  const trading = useContext(TradingContext);
  if (!trading) throw new Error('useTrading must be used inside <TradingProvider>');
  return trading;
}

export interface Loaded<T> {
  data: T | null;
  error: ApiError | null;
  loading: boolean;
  reload: () => void;
}

/**
 * Fetches a resource when the inputs in `key` change, when its version moves, and on `reload()`.
 * The previous data stays on screen while a refetch runs; a stale answer is dropped (aborted).
 */
export function useResource<T>(
  resources: readonly Resource[],
  key: string,
  load: (client: TypedClient, signal: AbortSignal) => Promise<T>,
): Loaded<T> {
  const { client, versions } = useTrading();
  const [state, setState] = useState<{ data: T | null; error: ApiError | null; token: string | null }>({
    data: null,
    error: null,
    token: null,
  });
  const [reloads, setReloads] = useState(0);
  const loadRef = useRef(load);
  useEffect(() => {
    loadRef.current = load;
  });
  const version = resources.map((r) => versions[r]).join('.');
  const token = `${key}|${version}|${reloads}`;

  useEffect(() => {
    const controller = new AbortController();
    loadRef.current(client, controller.signal).then(
      (data) => setState({ data, error: null, token }),
      (error: unknown) => {
        if (isAbortError(error)) return;
        const apiError =
          error instanceof ApiError ? error : new ApiError(0, 'client_error', 'Something went wrong; try again.');
        setState((s) => ({ ...s, error: apiError, token }));
      },
    );
    return () => controller.abort();
  }, [client, token]);

  const reload = useCallback(() => setReloads((n) => n + 1), []);
  return { data: state.data, error: state.error, loading: state.token !== token, reload };
}

/** The current time, ticking every `everyMs` (for countdowns and local expiry). */
export function useNow(everyMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}
