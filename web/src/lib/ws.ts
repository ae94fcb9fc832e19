/**
 * A WebSocket client that stays connected: automatic reconnect with
 * exponential backoff + jitter, a connect timeout, a stale-connection
 * watchdog, messages that are re-sent on every (re)connect (subscriptions),
 * and status events for the UI.
 *
 * Status:
 *   connecting   – first connection attempt, nothing has failed yet
 *   connected    – socket open
 *   reconnecting – connection lost / failed, retrying
 *   offline      – several attempts in a row failed (or the browser is
 *                  offline); still retrying in the background
 */
import { backoffDelay, type BackoffOptions } from './backoff';

export type ConnectionStatus = 'connecting' | 'connected' | 'reconnecting' | 'offline';

/** The subset of the browser WebSocket the client uses (lets tests inject a fake). */
export interface SocketLike {
  readonly readyState: number;
  onopen: ((event: Event) => void) | null;
  onclose: ((event: CloseEvent) => void) | null;
  onerror: ((event: Event) => void) | null;
  onmessage: ((event: MessageEvent) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export type SocketFactory = (url: string) => SocketLike;

const OPEN = 1;

export interface ReconnectingSocketOptions<TIn> {
  /** Absolute ws:// or wss:// URL, or a function returning one (evaluated per attempt). */
  url: string | (() => string);
  /** Validates/decodes one frame; return null to drop it. Must not throw. */
  parse: (data: unknown) => TIn | null;
  createSocket?: SocketFactory;
  backoff?: BackoffOptions;
  random?: () => number;
  /** Consecutive failures after which the status becomes "offline" (about 4-8 s into an outage with the default backoff). Default 5. */
  offlineAfterFailures?: number;
  /** Abort an attempt that has not opened after this long. Default 10 s. */
  connectTimeoutMs?: number;
  /** Reconnect if nothing (not even a ping) arrives for this long. Default 60 s; 0 disables. */
  staleAfterMs?: number;
  /** A connection must stay open this long before the backoff resets. Default 5 s. */
  stableAfterMs?: number;
  /** Defaults to navigator.onLine when available. */
  isOnline?: () => boolean;
  /**
   * Application-level keep-alive: `message` is sent every `everyMs` while
   * connected, so the server's reply keeps the stale watchdog quiet on a
   * market with no trades. Default: none.
   */
  heartbeat?: { message: unknown; everyMs: number } | null;
}

type Listener<T> = (value: T) => void;

export class ReconnectingSocket<TIn, TOut = unknown> {
  private readonly opts: Required<Omit<ReconnectingSocketOptions<TIn>, 'backoff'>> & { backoff: BackoffOptions };
  private socket: SocketLike | null = null;
  private _status: ConnectionStatus = 'connecting';
  private running = false;
  /** Consecutive failed attempts (drives the backoff). */
  private failures = 0;
  private openedAt: number | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private connectTimer: ReturnType<typeof setTimeout> | null = null;
  private staleTimer: ReturnType<typeof setTimeout> | null = null;
  private heartbeatTimer: ReturnType<typeof setInterval> | null = null;
  private readonly persistent = new Map<string, TOut>();
  private readonly messageListeners = new Set<Listener<TIn>>();
  private readonly statusListeners = new Set<Listener<ConnectionStatus>>();
  private readonly openListeners = new Set<Listener<{ reconnect: boolean }>>();
  private everOpened = false;
  /** Number of frames dropped by `parse` (useful for debugging). */
  invalidFrames = 0;
  /** When the next retry is due (ms since epoch), if one is scheduled. */
  nextRetryAt: number | null = null;

  constructor(options: ReconnectingSocketOptions<TIn>) {
    this.opts = {
      createSocket: (url) => new WebSocket(url),
      backoff: {},
      random: Math.random,
      offlineAfterFailures: 5,
      connectTimeoutMs: 10_000,
      staleAfterMs: 60_000,
      stableAfterMs: 5_000,
      isOnline: () => (typeof navigator === 'undefined' ? true : navigator.onLine !== false),
      heartbeat: null,
      ...options,
    };
  }

  get status(): ConnectionStatus {
    return this._status;
  }

  /** Starts connecting. Can be called again after `stop()` (React StrictMode mounts effects twice). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.failures = 0;
    if (typeof window !== 'undefined') {
      window.addEventListener('online', this.handleOnline);
      window.addEventListener('offline', this.handleOffline);
    }
    this.setStatus(this.everOpened ? 'reconnecting' : 'connecting');
    this.connect();
  }

  /** Closes the connection and stops retrying. Listeners stay registered. */
  stop(): void {
    if (!this.running) return;
    this.running = false;
    this.clearTimers();
    if (typeof window !== 'undefined') {
      window.removeEventListener('online', this.handleOnline);
      window.removeEventListener('offline', this.handleOffline);
    }
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      detach(socket);
      safeClose(socket, 1000, 'client closed');
    }
    this.setStatus('offline');
  }

  /** Skips the remaining backoff wait and tries to connect now. */
  retryNow(): void {
    if (!this.running || this.socket) return;
    this.clearRetry();
    this.connect();
  }

  /** Sends now if connected. Returns false if the message could not be sent. */
  send(message: TOut): boolean {
    const socket = this.socket;
    if (!socket || socket.readyState !== OPEN) return false;
    try {
      socket.send(JSON.stringify(message));
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Registers a message that is sent now (if connected) and again after every
   * reconnect, replacing any earlier message with the same key. Pass null to forget it.
   */
  setPersistent(key: string, message: TOut | null): void {
    if (message === null) {
      this.persistent.delete(key);
      return;
    }
    this.persistent.set(key, message);
    this.send(message);
  }

  onMessage(listener: Listener<TIn>): () => void {
    this.messageListeners.add(listener);
    return () => this.messageListeners.delete(listener);
  }

  onStatus(listener: Listener<ConnectionStatus>): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  /** Called after each successful open; `reconnect` is true for every open but the first. */
  onOpen(listener: Listener<{ reconnect: boolean }>): () => void {
    this.openListeners.add(listener);
    return () => this.openListeners.delete(listener);
  }

  // ---------------------------------------------------------------------------

  private connect(): void {
    if (!this.running) return;
    this.nextRetryAt = null;

    let socket: SocketLike;
    try {
      const url = typeof this.opts.url === 'function' ? this.opts.url() : this.opts.url;
      socket = this.opts.createSocket(url);
    } catch {
      this.handleFailure();
      return;
    }
    this.socket = socket;
    this.openedAt = null;

    socket.onopen = () => {
      if (this.socket !== socket) return;
      this.clearConnectTimer();
      this.openedAt = Date.now();
      const reconnect = this.everOpened;
      this.everOpened = true;
      this.setStatus('connected');
      for (const message of this.persistent.values()) this.send(message);
      this.armStaleTimer();
      this.startHeartbeat(socket);
      for (const listener of [...this.openListeners]) listener({ reconnect });
    };
    socket.onmessage = (event) => {
      if (this.socket !== socket) return;
      this.armStaleTimer();
      let parsed: TIn | null;
      try {
        parsed = this.opts.parse(event.data);
      } catch {
        parsed = null;
      }
      if (parsed === null) {
        this.invalidFrames += 1;
        return;
      }
      for (const listener of [...this.messageListeners]) {
        try {
          listener(parsed);
        } catch (error) {
          // One broken consumer must not take the connection down.
          console.error('[ws] message listener failed', error);
        }
      }
    };
    socket.onerror = () => {
      // A close event always follows; handled there.
    };
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.drop(socket);
    };

    this.connectTimer = setTimeout(() => {
      if (this.socket === socket && socket.readyState !== OPEN) this.drop(socket);
    }, this.opts.connectTimeoutMs);
  }

  /** Abandons `socket` and schedules the next attempt. */
  private drop(socket: SocketLike): void {
    detach(socket);
    safeClose(socket, 4000, 'reconnecting');
    if (this.socket === socket) this.socket = null;
    const wasStable = this.openedAt !== null && Date.now() - this.openedAt >= this.opts.stableAfterMs;
    if (wasStable) this.failures = 0;
    this.openedAt = null;
    this.handleFailure();
  }

  private handleFailure(): void {
    this.clearConnectTimer();
    this.clearStaleTimer();
    this.clearHeartbeat();
    if (!this.running) return;
    this.failures += 1;
    const offline = this.failures >= this.opts.offlineAfterFailures || !this.opts.isOnline();
    this.setStatus(offline ? 'offline' : 'reconnecting');
    const delay = backoffDelay(this.failures - 1, this.opts.backoff, this.opts.random);
    this.nextRetryAt = Date.now() + delay;
    this.clearRetry();
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.connect();
    }, delay);
  }

  private readonly handleOnline = (): void => {
    this.retryNow();
  };

  private readonly handleOffline = (): void => {
    if (this._status !== 'connected') this.setStatus('offline');
  };

  private armStaleTimer(): void {
    this.clearStaleTimer();
    if (this.opts.staleAfterMs <= 0) return;
    const socket = this.socket;
    this.staleTimer = setTimeout(() => {
      if (socket && this.socket === socket) this.drop(socket);
    }, this.opts.staleAfterMs);
  }

  private startHeartbeat(socket: SocketLike): void {
    this.clearHeartbeat();
    const heartbeat = this.opts.heartbeat;
    if (!heartbeat || heartbeat.everyMs <= 0) return;
    const frame = JSON.stringify(heartbeat.message);
    this.heartbeatTimer = setInterval(() => {
      if (this.socket !== socket || socket.readyState !== OPEN) return;
      try {
        socket.send(frame);
      } catch {
        // the close event will follow
      }
    }, heartbeat.everyMs);
  }

  private clearHeartbeat(): void {
    if (this.heartbeatTimer !== null) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = null;
  }

  private setStatus(status: ConnectionStatus): void {
    if (status === this._status) return;
    this._status = status;
    for (const listener of [...this.statusListeners]) listener(status);
  }

  private clearRetry(): void {
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.nextRetryAt = null;
  }

  private clearConnectTimer(): void {
    if (this.connectTimer !== null) clearTimeout(this.connectTimer);
    this.connectTimer = null;
  }

  private clearStaleTimer(): void {
    if (this.staleTimer !== null) clearTimeout(this.staleTimer);
    this.staleTimer = null;
  }

  private clearTimers(): void {
    this.clearRetry();
    this.clearConnectTimer();
    this.clearStaleTimer();
    this.clearHeartbeat();
  }
}

function detach(socket: SocketLike): void {
  socket.onopen = null;
  socket.onclose = null;
  socket.onerror = null;
  socket.onmessage = null;
}

function safeClose(socket: SocketLike, code: number, reason: string): void {
  try {
    socket.close(code, reason);
  } catch {
    // already closed / never opened
  }
}

/** ws:// or wss:// URL for a same-origin path, following the page protocol. */
export function sameOriginWsUrl(path: string, location: Pick<Location, 'protocol' | 'host'> = window.location): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}${path.startsWith('/') ? path : `/${path}`}`;
}
