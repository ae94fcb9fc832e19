import { describe, expect, it, vi } from 'vitest';
import { ApiError, createApiClient } from './api';

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

const candleWire = {
  open_time: 1677628800000,
  open: '23140.48',
  high: '23150.77',
  low: '23128.52',
  close: '23142.31',
  volume: '2.131777',
  closed: true,
};

async function rejection(promise: Promise<unknown>): Promise<ApiError> {
  const error = await promise.then(
    () => {
      throw new Error('expected the request to fail');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApiError);
  return error as ApiError;
}

describe('api client', () => {
  it('requests symbols from the same-origin API and returns them typed', async () => {
    const body = { venue: 'paper', symbols: ['BTC/USDT', 'ETH/USDT'], intervals: ['1m', '5m'] };
    const fetch = vi.fn(async () => json(body));
    const api = createApiClient({ fetch });
    await expect(api.getSymbols()).resolves.toEqual(body);
    expect(fetch).toHaveBeenCalledWith('/api/market/symbols', expect.anything());
  });

  it('encodes the candles query and maps the wire format', async () => {
    const fetch = vi.fn(async (_url: string) =>
      json({ symbol: 'BTC/USDT', interval: '1m', candles: [candleWire, { ...candleWire, open_time: 1677628860000, closed: false }] }),
    );
    const api = createApiClient({ fetch, baseUrl: '/api/' });
    const res = await api.getCandles({ symbol: 'BTC/USDT', interval: '1m', limit: 500 });
    const url = new URL(fetch.mock.calls[0]![0], 'http://x');
    expect(url.pathname).toBe('/api/market/candles');
    expect(Object.fromEntries(url.searchParams)).toEqual({ symbol: 'BTC/USDT', interval: '1m', limit: '500' });
    expect(res.candles).toHaveLength(2);
    expect(res.candles[0]).toEqual({
      openTime: 1677628800000,
      open: '23140.48',
      high: '23150.77',
      low: '23128.52',
      close: '23142.31',
      volume: '2.131777',
      closed: true,
    });
  });

  it('surfaces the server error envelope as ApiError(code, message, status)', async () => {
    const api = createApiClient({
      fetch: async () => json({ error: { code: 'unknown_symbol', message: 'Unknown symbol DOGE/XYZ' } }, 404),
    });
    const error = await rejection(api.getCandles({ symbol: 'DOGE/XYZ', interval: '1m' }));
    expect(error).toMatchObject({ status: 404, code: 'unknown_symbol', message: 'Unknown symbol DOGE/XYZ' });
  });

  it('falls back to http_<status> when the error body is not the envelope (e.g. a proxy HTML page)', async () => {
    const api = createApiClient({
      fetch: async () => new Response('<html>Bad Gateway</html>', { status: 502, statusText: 'Bad Gateway' }),
    });
    const error = await rejection(api.getSymbols());
    expect(error.status).toBe(502);
    expect(error.code).toBe('http_502');
    expect(error.message).toContain('502');
  });

  it('maps a network failure to status 0 / network_error', async () => {
    const api = createApiClient({
      fetch: async () => {
        throw new TypeError('Failed to fetch');
      },
    });
    const error = await rejection(api.getSymbols());
    expect(error).toMatchObject({ status: 0, code: 'network_error' });
  });

  it('rejects a 200 with an unexpected shape as bad_response', async () => {
    const bad = [
      { venue: 'paper', symbols: 'BTC/USDT', intervals: [] },
      'not json at all',
      { symbol: 'BTC/USDT', interval: '1m', candles: [{ ...candleWire, close: 23142.31 }] },
    ];
    const api0 = createApiClient({ fetch: async () => json(bad[0]) });
    expect((await rejection(api0.getSymbols())).code).toBe('bad_response');
    const api1 = createApiClient({ fetch: async () => new Response(String(bad[1]), { status: 200 }) });
    expect((await rejection(api1.getSymbols())).code).toBe('bad_response');
    const api2 = createApiClient({ fetch: async () => json(bad[2]) });
    expect((await rejection(api2.getCandles({ symbol: 'BTC/USDT', interval: '1m' }))).code).toBe('bad_response');
  });

  it('rejects candles that are not strictly ascending', async () => {
    const api = createApiClient({
      fetch: async () => json({ symbol: 'BTC/USDT', interval: '1m', candles: [candleWire, candleWire] }),
    });
    expect((await rejection(api.getCandles({ symbol: 'BTC/USDT', interval: '1m' }))).code).toBe('bad_response');
  });

  it('passes the abort signal through and re-throws aborts untouched', async () => {
    const controller = new AbortController();
    const fetch = vi.fn(
      (_url: string, init?: RequestInit) =>
        new Promise<Response>((_resolve, reject) => {
          init?.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
        }),
    );
    const api = createApiClient({ fetch });
    const pending = api.getSymbols({ signal: controller.signal });
    controller.abort();
    const error = await pending.catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(ApiError);
    expect((error as DOMException).name).toBe('AbortError');
  });
});
