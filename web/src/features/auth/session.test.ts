import { describe, expect, it } from 'vitest';
import { RENEW_BEFORE_MS, Session, SessionRefused, STORAGE_KEY, type AuthApi, type StorageLike, type Tokens } from './session';

class FakeClock {
  now = 1_000_000;
  private next = 1;
  private readonly pending = new Map<number, { at: number; run: () => void }>();

  readonly timers = {
    setTimeout: (run: () => void, ms: number) => {
      const id = this.next++;
      this.pending.set(id, { at: this.now + ms, run });
      return id;
    },
    clearTimeout: (id: unknown) => void this.pending.delete(id as number),
    now: () => this.now,
  };

  /** Moves time on, running every timer that falls due. */
  advance(ms: number): void {
    this.now += ms;
    for (const [id, timer] of [...this.pending].sort((a, b) => a[1].at - b[1].at)) {
      if (timer.at <= this.now) {
        this.pending.delete(id);
        timer.run();
      }
    }
  }
}

class MemoryStorage implements StorageLike {
  readonly items = new Map<string, string>();
  getItem(key: string) {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string) {
    this.items.set(key, value);
  }
  removeItem(key: string) {
    this.items.delete(key);
  }
}

/** The server's side of refresh: each refresh token works once, as the gateway rotates them. */
class RotatingServer implements AuthApi {
  issued = 0;
  refreshCalls = 0;
  live = new Set<string>();
  offline = false;
  loggedOut: string[] = [];

  private readonly clock: FakeClock;

  constructor(clock: FakeClock) {
    this.clock = clock;
  }

  tokens(): Tokens {
    this.issued += 1;
    const refreshToken = `refresh-${this.issued}`;
    this.live.add(refreshToken);
    return {
      accessToken: `access-${this.issued}`,
      refreshToken,
      expiresAt: this.clock.now + 15 * 60_000,
      user: { id: 'u1', email: 'a@example.com', displayName: 'A', role: 'user' },
    };
  }

  async refresh(refreshToken: string): Promise<Tokens> {
    this.refreshCalls += 1;
    if (this.offline) throw new TypeError('Failed to fetch');
    if (!this.live.delete(refreshToken)) throw new SessionRefused('refresh token refused');
    return this.tokens();
  }

  async logout(refreshToken: string): Promise<void> {
    this.loggedOut.push(refreshToken);
  }
}

function setup() {
  const clock = new FakeClock();
  const server = new RotatingServer(clock);
  const storage = new MemoryStorage();
  const session = new Session(server, storage, clock.timers);
  const seen: (string | null)[] = [];
  session.subscribe((t) => seen.push(t?.accessToken ?? null));
  return { clock, server, storage, session, seen };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('Session', () => {
  it('renews the access token a minute before it lapses, with the rotated refresh token', async () => {
    const { clock, server, session, seen } = setup();
    session.start(server.tokens());
    clock.advance(15 * 60_000 - RENEW_BEFORE_MS - 1);
    expect(server.refreshCalls).toBe(0);
    clock.advance(1);
    await settle();
    expect(session.current?.accessToken).toBe('access-2');
    clock.advance(15 * 60_000 - RENEW_BEFORE_MS);
    await settle();
    expect(seen).toEqual(['access-1', 'access-2', 'access-3']);
  });

  it('shares one exchange between concurrent renewals, so the refresh token is used once', async () => {
    const { server, session } = setup();
    session.start(server.tokens());
    const results = await Promise.all([session.renew(), session.renew(), session.renew()]);
    expect(server.refreshCalls).toBe(1);
    expect(results.map((t) => t?.accessToken)).toEqual(['access-2', 'access-2', 'access-2']);
  });

  it('ends the session when the server refuses the refresh token, and forgets it', async () => {
    const { server, storage, session, seen } = setup();
    session.start(server.tokens());
    server.live.clear(); // e.g. revoked by a logout elsewhere
    expect(await session.renew()).toBeNull();
    expect(session.current).toBeNull();
    expect(storage.getItem(STORAGE_KEY)).toBeNull();
    expect(seen).toEqual(['access-1', null]);
  });

  it('keeps the session through a network failure and retries soon', async () => {
    const { clock, server, session } = setup();
    session.start(server.tokens());
    server.offline = true;
    expect((await session.renew())?.accessToken).toBe('access-1');
    server.offline = false;
    clock.advance(15_000);
    await settle();
    expect(session.current?.accessToken).toBe('access-2');
  });

  it('survives a reload through storage, renewing first when the access token has lapsed', async () => {
    const first = setup();
    first.session.start(first.server.tokens());
    const clock = first.clock;
    clock.advance(20 * 60_000);
    await settle();
    first.session.stop();
    clock.advance(20 * 60_000);
    const reloaded = new Session(first.server, first.storage, clock.timers);
    expect((await reloaded.restore())?.accessToken).toBe('access-3');
    first.storage.setItem(STORAGE_KEY, '{"accessToken": 1}');
    expect(await new Session(first.server, first.storage, clock.timers).restore()).toBeNull();
  });

  it('shares one session between tabs instead of spending the same refresh token twice', async () => {
    const { clock, server, storage, session } = setup();
    session.start(server.tokens());
    const otherTab = new Session(server, storage, clock.timers);
    await otherTab.restore();
    expect(await otherTab.renew()).not.toBeNull(); // the other tab renews first: refresh-1 is spent
    expect((await session.renew())?.accessToken).toBe('access-2'); // adopted, not refreshed again
    expect(server.refreshCalls).toBe(1);
    await otherTab.signOut();
    session.syncFromStorage(); // the storage event of the other tab's sign-out
    expect(session.current).toBeNull();
  });

  it('signs out locally at once and revokes on the server', async () => {
    const { server, storage, session } = setup();
    session.start(server.tokens());
    await session.signOut();
    expect(session.current).toBeNull();
    expect(storage.items.size).toBe(0);
    expect(server.loggedOut).toEqual(['refresh-1']);
  });
});
