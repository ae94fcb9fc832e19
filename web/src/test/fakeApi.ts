/**
 * A stand-in for the gateway's HTTP side, at the network boundary: the app's own typed client
 * (lib/client.ts) sends real `Request`s to it and reads real `Response`s back. Tests register
 * routes by method and OpenAPI path and read what was sent.
 */

export interface SentRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Headers;
  body: unknown;
}

type Reply = Response | Promise<Response>;
type Handler = (request: SentRequest, params: Readonly<Record<string, string>>) => Reply;

interface Route {
  method: string;
  pattern: RegExp;
  names: string[];
  handler: Handler;
}

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } });
}

/** The gateway's error shape: `{"error": {"code", "message"}}`. */
export function apiError(status: number, code: string, message: string, headers: Record<string, string> = {}): Response {
  return json({ error: { code, message } }, status, headers);
}

/** A reply the test releases when it wants (to see the UI while a request is in flight). */
export function deferred(): { promise: Promise<Response>; resolve: (response: Response) => void } {
  let resolve: (response: Response) => void = () => undefined;
  const promise = new Promise<Response>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

function compile(path: string): { pattern: RegExp; names: string[] } {
  const names: string[] = [];
  const source = path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, (_, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  return { pattern: new RegExp(`^${source}$`), names };
}

export class FakeApi {
  readonly requests: SentRequest[] = [];
  private readonly routes: Route[] = [];

  /** Answers `method path` (e.g. "GET", "/api/intents/{intent_id}"); a later route for the same path wins. */
  on(method: string, path: string, handler: Handler | Response): this {
    const { pattern, names } = compile(path);
    const reply: Handler = typeof handler === 'function' ? handler : () => handler.clone();
    this.routes.unshift({ method: method.toUpperCase(), pattern, names, handler: reply });
    return this;
  }

  /** The requests sent to `method path` (the path as sent, e.g. "/api/intents/i1/approve"). */
  sent(method: string, path: string): SentRequest[] {
    return this.requests.filter((r) => r.method === method.toUpperCase() && r.path === path);
  }

  readonly fetch = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    const text = await request.text();
    const sent: SentRequest = {
      method: request.method,
      path: url.pathname,
      query: url.searchParams,
      headers: request.headers,
      body: text === '' ? undefined : (JSON.parse(text) as unknown),
    };
    this.requests.push(sent);
    for (const route of this.routes) {
      if (route.method !== sent.method) continue;
      const match = route.pattern.exec(sent.path);
      if (!match) continue;
      const params: Record<string, string> = {};
      route.names.forEach((name, i) => {
        params[name] = decodeURIComponent(match[i + 1] ?? '');
      });
      return route.handler(sent, params);
    }
    return apiError(501, 'no_route', `The test set no answer for ${sent.method} ${sent.path}.`);
  };
}
