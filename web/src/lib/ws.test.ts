import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ReconnectingSocket, sameOriginWsUrl, type ConnectionStatus, type SocketLike } from './ws';

class FakeSocket implements SocketLike {
  readyState = 0;
  sent: string[] = [];
  closed = false;
  onopen: ((event: Event) => void) | null = null;
  onclose: ((event: CloseEvent) => void) | null = null;
  onerror: ((event: Event) => void) | null = null;
  onmessage: ((event: MessageEvent) => void) | null = null;
  readonly url: string;
  constructor(url: string) {
    this.url = url;
  }
  send(data: string) {
    if (this.readyState !== 1) throw new Error('not open');
    this.sent.push(data);
  }
  close() {
    this.closed = true;
    this.readyState = 3;
  }
  // test helpers
  open() {
    this.readyState = 1;
    this.onopen?.({} as Event);
  }
  receive(data: unknown) {
    this.onmessage?.({ data } as MessageEvent);
  }
  fail() {
    this.readyState = 3;
    this.onerror?.({} as Event);
    this.onclose?.({ code: 1006 } as CloseEvent);
  }
}

function setup(overrides: Partial<ConstructorParameters<typeof ReconnectingSocket<string>>[0]> = {}) {
  const sockets: FakeSocket[] = [];
  const statuses: ConnectionStatus[] = [];
  const messages: string[] = [];
  const client = new ReconnectingSocket<string, { action: string }>({
    url: 'ws://test/api/ws',
    parse: (data) => (typeof data === 'string' && data.startsWith('ok:') ? data : null),
    createSocket: (url) => {
      const s = new FakeSocket(url);
      sockets.push(s);
      return s;
    },
    random: () => 0, // delay = ceiling / 2 → 250, 500, 1000, …
    isOnline: () => true,
    ...overrides,
  });
  client.onStatus((s) => statuses.push(s));
  client.onMessage((m) => messages.push(m));
  const last = () => sockets[sockets.length - 1]!;
  return { client, sockets, statuses, messages, last };
}

describe('ReconnectingSocket', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('goes connecting → connected and delivers parsed messages, dropping malformed ones', () => {
    const { client, last, statuses, messages } = setup();
    client.start();
    expect(client.status).toBe('connecting');
    last().open();
    expect(statuses).toEqual(['connected']);
    last().receive('ok:1');
    last().receive('garbage');
    last().receive('ok:2');
    expect(messages).toEqual(['ok:1', 'ok:2']);
    expect(client.invalidFrames).toBe(1);
  });

  it('reconnects with growing backoff and reports reconnecting, then offline, while it keeps retrying', () => {
    const { client, sockets, last, statuses } = setup();
    client.start();
    last().fail();
    expect(client.status).toBe('reconnecting');
    expect(sockets).toHaveLength(1);

    vi.advanceTimersByTime(249);
    expect(sockets).toHaveLength(1);
    vi.advanceTimersByTime(1); // 250 ms
    expect(sockets).toHaveLength(2);

    last().fail();
    vi.advanceTimersByTime(499);
    expect(sockets).toHaveLength(2);
    vi.advanceTimersByTime(1); // 500 ms
    expect(sockets).toHaveLength(3);

    last().fail(); // third consecutive failure
    expect(client.status).toBe('reconnecting');
    vi.advanceTimersByTime(1000);
    last().fail();
    vi.advanceTimersByTime(2000);
    last().fail(); // fifth
    expect(client.status).toBe('offline');
    vi.advanceTimersByTime(4000);
    expect(sockets).toHaveLength(6); // still retrying

    // ...and keeps going for a long outage with delays capped at 30 s (15 s with random=0)
    for (let i = 0; i < 20; i += 1) {
      last().fail();
      vi.advanceTimersByTime(15_000);
    }
    expect(sockets).toHaveLength(26);

    last().open();
    expect(client.status).toBe('connected');
    expect(statuses).toEqual(['reconnecting', 'offline', 'connected']);
  });

  it('re-sends persistent (subscription) messages after every reconnect, latest value only', () => {
    const { client, last } = setup();
    client.setPersistent('market', { action: 'subscribe:BTC' }); // not connected yet: queued
    client.start();
    last().open();
    expect(last().sent).toEqual(['{"action":"subscribe:BTC"}']);

    client.setPersistent('market', { action: 'subscribe:ETH' }); // sent immediately
    expect(last().sent).toEqual(['{"action":"subscribe:BTC"}', '{"action":"subscribe:ETH"}']);

    last().fail();
    vi.advanceTimersByTime(250);
    last().open();
    expect(last().sent).toEqual(['{"action":"subscribe:ETH"}']);
  });

  it('tells open listeners whether this is a reconnect', () => {
    const { client, last } = setup();
    const opens: boolean[] = [];
    client.onOpen(({ reconnect }) => opens.push(reconnect));
    client.start();
    last().open();
    last().fail();
    vi.advanceTimersByTime(250);
    last().open();
    expect(opens).toEqual([false, true]);
  });

  it('resets the backoff only after a connection stayed up for a while', () => {
    const { client, sockets, last } = setup({ stableAfterMs: 5_000, staleAfterMs: 0 });
    client.start();
    // flapping: opens then drops immediately → backoff keeps growing
    last().open();
    last().fail();
    vi.advanceTimersByTime(250);
    last().open();
    last().fail();
    vi.advanceTimersByTime(499);
    expect(sockets).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(sockets).toHaveLength(3);
    // stable connection → next drop starts from the base delay again
    last().open();
    vi.advanceTimersByTime(6_000);
    last().fail();
    vi.advanceTimersByTime(250);
    expect(sockets).toHaveLength(4);
  });

  it('gives up on an attempt that never opens (connect timeout)', () => {
    const { client, sockets } = setup({ connectTimeoutMs: 1_000 });
    client.start();
    vi.advanceTimersByTime(1_000);
    expect(sockets[0]!.closed).toBe(true);
    expect(client.status).toBe('reconnecting');
    vi.advanceTimersByTime(250);
    expect(sockets).toHaveLength(2);
  });

  it('drops a silent connection (stale watchdog) and reconnects', () => {
    const { client, sockets, last } = setup({ staleAfterMs: 10_000 });
    client.start();
    last().open();
    vi.advanceTimersByTime(9_000);
    last().receive('ok:ping');
    vi.advanceTimersByTime(9_000);
    expect(sockets[0]!.closed).toBe(false);
    vi.advanceTimersByTime(1_000);
    expect(sockets[0]!.closed).toBe(true);
    expect(client.status).toBe('reconnecting');
  });

  it('sends the heartbeat while connected and stops after a drop', () => {
    const { client, last } = setup({ heartbeat: { message: { action: 'ping' }, everyMs: 20_000 }, staleAfterMs: 60_000 });
    client.start();
    const first = last();
    first.open();
    vi.advanceTimersByTime(40_000);
    expect(first.sent).toEqual(['{"action":"ping"}', '{"action":"ping"}']);
    first.receive('ok:pong');
    vi.advanceTimersByTime(50_000); // the replies keep the watchdog quiet
    expect(first.closed).toBe(false);
    first.fail();
    vi.advanceTimersByTime(60_000);
    expect(first.sent).toHaveLength(4);
  });

  it('treats a throwing socket constructor as a failed attempt', () => {
    let calls = 0;
    const { client } = setup({
      createSocket: () => {
        calls += 1;
        throw new SyntaxError('bad url');
      },
    });
    expect(() => client.start()).not.toThrow();
    expect(client.status).toBe('reconnecting');
    vi.advanceTimersByTime(250);
    expect(calls).toBe(2);
  });

  it('retryNow skips the wait; stop cancels retries; start works again after stop', () => {
    const { client, sockets, last } = setup();
    client.start();
    last().fail();
    client.retryNow();
    expect(sockets).toHaveLength(2);
    client.stop();
    expect(sockets[1]!.closed).toBe(true);
    vi.advanceTimersByTime(60_000);
    expect(sockets).toHaveLength(2);
    client.start();
    expect(sockets).toHaveLength(3);
  });

  it('a throwing message listener does not break delivery to others', () => {
    const { client, last, messages } = setup();
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    client.onMessage(() => {
      throw new Error('boom');
    });
    client.start();
    last().open();
    last().receive('ok:x');
    expect(messages).toEqual(['ok:x']);
    expect(error).toHaveBeenCalled();
  });
});

describe('sameOriginWsUrl', () => {
  it('follows the page protocol', () => {
    expect(sameOriginWsUrl('/api/ws', { protocol: 'http:', host: 'localhost:5173' })).toBe('ws://localhost:5173/api/ws');
    expect(sameOriginWsUrl('api/ws', { protocol: 'https:', host: 'example.com' })).toBe('wss://example.com/api/ws');
  });
});
