/**
 * The signed-in session: tokens, their renewal, and who listens.
 *
 * The access token is short-lived; the session renews it a minute before it lapses (or at once
 * when the server says 401) with the refresh token, which the server rotates on every use. The
 * refresh token is kept in storage so a reload stays signed in — as Supabase's client does — and
 * is dropped the moment the server refuses it. Every change is told to listeners: the REST client
 * reads the current token, the socket re-signs itself in.
 */

export interface SessionUser {
  id: string;
  email: string;
  displayName: string;
  role: 'user' | 'admin';
}

export interface Tokens {
  accessToken: string;
  refreshToken: string;
  /** When the access token lapses, ms since epoch. */
  expiresAt: number;
  user: SessionUser;
}

/** What the session needs of the server: exchange a refresh token, and end a session. */
export interface AuthApi {
  refresh(refreshToken: string): Promise<Tokens>;
  logout(refreshToken: string): Promise<void>;
}

export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export const STORAGE_KEY = 'cryptopulse.session';
/** Renew this long before the access token lapses. */
export const RENEW_BEFORE_MS = 60_000;

/** A refusal from the server (the refresh token is spent or revoked), as opposed to no answer. */
export class SessionRefused extends Error {
  override readonly name = 'SessionRefused';
}

type Listener = (tokens: Tokens | null) => void;

interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): number;
}

const realTimers: Timers = {
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
  now: () => Date.now(),
};

function isTokens(value: unknown): value is Tokens {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  const user = v.user as Record<string, unknown> | undefined;
  return (
    typeof v.accessToken === 'string' &&
    typeof v.refreshToken === 'string' &&
    typeof v.expiresAt === 'number' &&
    typeof user === 'object' &&
    user !== null &&
    typeof user.id === 'string' &&
    (user.role === 'user' || user.role === 'admin')
  );
}

export class Session {
  private tokens: Tokens | null = null;
  private readonly listeners = new Set<Listener>();
  private renewal: unknown = null;
  private inflight: Promise<Tokens | null> | null = null;

  private readonly api: AuthApi;
  private readonly storage: StorageLike | null;
  private readonly timers: Timers;

  constructor(api: AuthApi, storage: StorageLike | null, timers: Timers = realTimers) {
    this.api = api;
    this.storage = storage;
    this.timers = timers;
  }

  /** Picks up a session kept from an earlier visit, renewing it first if its access token lapsed. */
  async restore(): Promise<Tokens | null> {
    const kept = this.read();
    if (!kept) return null;
    this.tokens = kept;
    if (kept.expiresAt - this.timers.now() <= RENEW_BEFORE_MS) return this.renew();
    this.schedule();
    this.emit();
    return kept;
  }

  get current(): Tokens | null {
    return this.tokens;
  }

  /** A new session from sign-up or login. */
  start(tokens: Tokens): void {
    this.tokens = tokens;
    this.write();
    this.schedule();
    this.emit();
  }

  /**
   * Exchanges the refresh token for new tokens. Concurrent callers share one exchange (the server
   * would treat a second use of the same refresh token as theft). A refusal ends the session; no
   * answer at all keeps it and tries again later.
   */
  renew(): Promise<Tokens | null> {
    if (this.inflight) return this.inflight;
    const tokens = this.tokens;
    if (!tokens) return Promise.resolve(null);
    const kept = this.read();
    if (kept && kept.refreshToken !== tokens.refreshToken) {
      // Another tab renewed already: our refresh token is spent, and using it would look like theft.
      this.adopt(kept);
      return Promise.resolve(kept);
    }
    this.inflight = this.api
      .refresh(tokens.refreshToken)
      .then(
        (next) => {
          this.start(next);
          return next;
        },
        (error: unknown) => {
          if (error instanceof SessionRefused) {
            this.end();
            return null;
          }
          this.schedule(Math.min(RENEW_BEFORE_MS / 2, 15_000)); // offline: try again soon
          return this.tokens;
        },
      )
      .finally(() => {
        this.inflight = null;
      });
    return this.inflight;
  }

  /** Signs out here and, best effort, on the server (which revokes the refresh token family). */
  async signOut(): Promise<void> {
    const tokens = this.tokens;
    this.end();
    if (tokens) await this.api.logout(tokens.refreshToken).catch(() => undefined);
  }

  /** Stops renewing (the page goes away); the kept session stays for the next visit. */
  stop(): void {
    if (this.renewal !== null) this.timers.clearTimeout(this.renewal);
    this.renewal = null;
  }

  /**
   * Takes tokens another tab stored (wire it to the window's `storage` event), so tabs share one
   * session instead of racing each other's refresh tokens.
   */
  syncFromStorage(): void {
    const kept = this.read();
    if (!kept) {
      if (this.tokens) this.end();
      return;
    }
    if (kept.refreshToken !== this.tokens?.refreshToken) this.adopt(kept);
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private adopt(tokens: Tokens): void {
    this.tokens = tokens;
    this.schedule();
    this.emit();
  }

  private end(): void {
    this.tokens = null;
    this.storage?.removeItem(STORAGE_KEY);
    if (this.renewal !== null) this.timers.clearTimeout(this.renewal);
    this.renewal = null;
    this.emit();
  }

  private schedule(inMs?: number): void {
    if (this.renewal !== null) this.timers.clearTimeout(this.renewal);
    const tokens = this.tokens;
    if (!tokens) return;
    const delay = inMs ?? Math.max(0, tokens.expiresAt - RENEW_BEFORE_MS - this.timers.now());
    this.renewal = this.timers.setTimeout(() => {
      this.renewal = null;
      void this.renew();
    }, delay);
  }

  private read(): Tokens | null {
    const raw = this.storage?.getItem(STORAGE_KEY);
    if (!raw) return null;
    try {
      const value: unknown = JSON.parse(raw);
      return isTokens(value) ? value : null;
    } catch {
      return null;
    }
  }

  private write(): void {
    if (this.tokens) this.storage?.setItem(STORAGE_KEY, JSON.stringify(this.tokens));
  }

  private emit(): void {
    for (const listener of this.listeners) listener(this.tokens);
  }
}
