/**
 * Typed REST client for the gateway's `/api`. Every response is validated at
 * runtime; every failure surfaces as an `ApiError` (aborts are re-thrown
 * unchanged so callers can ignore them).
 */
import { isRecord, parseCandle, type Candle } from './protocol';

export interface MarketSymbols {
  venue: string;
  symbols: string[];
  intervals: string[];
}

export interface CandlesResponse {
  symbol: string;
  interval: string;
  candles: Candle[];
}

export class ApiError extends Error {
  override readonly name = 'ApiError';
  /** HTTP status, or 0 when no response was received. */
  readonly status: number;
  /** Server error code (e.g. "unknown_symbol"), or a client-side one: network_error, http_<status>, bad_response. */
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export function isAbortError(error: unknown): boolean {
  return error instanceof DOMException ? error.name === 'AbortError' : isRecord(error) && error.name === 'AbortError';
}

type FetchFn = (input: string, init?: RequestInit) => Promise<Response>;

export interface ApiClientOptions {
  /** Prefix for all paths. Default "/api" (same origin). */
  baseUrl?: string;
  fetch?: FetchFn;
}

export interface RequestOptions {
  signal?: AbortSignal;
}

export interface ApiClient {
  getSymbols(options?: RequestOptions): Promise<MarketSymbols>;
  getCandles(
    params: { symbol: string; interval: string; limit?: number },
    options?: RequestOptions,
  ): Promise<CandlesResponse>;
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

function parseSymbols(body: unknown): MarketSymbols | null {
  if (!isRecord(body)) return null;
  const { venue, symbols, intervals } = body;
  if (typeof venue !== 'string' || !isStringArray(symbols) || !isStringArray(intervals)) return null;
  return { venue, symbols, intervals };
}

function parseCandles(body: unknown): CandlesResponse | null {
  if (!isRecord(body)) return null;
  const { symbol, interval, candles } = body;
  if (typeof symbol !== 'string' || typeof interval !== 'string' || !Array.isArray(candles)) return null;
  const parsed: Candle[] = [];
  for (const raw of candles) {
    const candle = parseCandle(raw);
    if (!candle) return null;
    // The contract promises ascending open_time; refuse anything else rather than draw garbage.
    const prev = parsed[parsed.length - 1];
    if (prev && candle.openTime <= prev.openTime) return null;
    parsed.push(candle);
  }
  return { symbol, interval, candles: parsed };
}

async function readJson(response: Response): Promise<unknown> {
  const text = await response.text();
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export function createApiClient(options: ApiClientOptions = {}): ApiClient {
  const baseUrl = (options.baseUrl ?? '/api').replace(/\/+$/, '');
  const fetchFn: FetchFn = options.fetch ?? ((input, init) => globalThis.fetch(input, init));

  async function request<T>(path: string, parse: (body: unknown) => T | null, init: RequestOptions = {}): Promise<T> {
    let response: Response;
    try {
      response = await fetchFn(`${baseUrl}${path}`, {
        headers: { Accept: 'application/json' },
        ...(init.signal ? { signal: init.signal } : {}),
      });
    } catch (error) {
      if (isAbortError(error)) throw error;
      throw new ApiError(0, 'network_error', 'The server could not be reached.');
    }

    let body: unknown;
    try {
      body = await readJson(response);
    } catch (error) {
      if (isAbortError(error)) throw error;
      throw new ApiError(response.status, 'network_error', 'The response was interrupted.');
    }

    if (!response.ok) {
      const err = isRecord(body) && isRecord(body.error) ? body.error : null;
      const code = err && typeof err.code === 'string' ? err.code : `http_${response.status}`;
      const message =
        err && typeof err.message === 'string' && err.message !== ''
          ? err.message
          : `Request failed with HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}.`;
      throw new ApiError(response.status, code, message);
    }

    const parsed = parse(body);
    if (parsed === null) throw new ApiError(response.status, 'bad_response', 'The server sent an unexpected response.');
    return parsed;
  }

  return {
    getSymbols: (init) => request('/market/symbols', parseSymbols, init),
    getCandles: ({ symbol, interval, limit = 500 }, init) => {
      const query = new URLSearchParams({ symbol, interval, limit: String(limit) });
      return request(`/market/candles?${query.toString()}`, parseCandles, init);
    },
  };
}

/** Shared same-origin client used by the app. */
export const api: ApiClient = createApiClient();
