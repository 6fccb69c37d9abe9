import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A small real HTTP service on 127.0.0.1 standing in for AbuseIPDB's check endpoint and an
 * RDAP server, so the providers are tested over real sockets, headers and status codes.
 *
 * - GET /api/v2/check?ipAddress=<ip>: 401 without `Key: <apiKey>`; 429 (Retry-After:
 *   `retryAfter`) for the next `throttleNext` requests; else `{"data": {"abuseConfidenceScore": n}}`
 *   from `scores` (0 for an address not listed), or 500 for an address in `failing`.
 * - GET /rdap/domain/<name>: the registration event of `registrations`, or 404.
 */
export interface IntelTestServer {
  readonly baseUrl: string;
  readonly apiKey: string;
  /** Every request: path, the ipAddress or domain asked, and when it arrived (performance.now()). */
  readonly requests: { path: string; key: string; at: number; status: number }[];
  scores: Record<string, number>;
  registrations: Record<string, string>;
  failing: Set<string>;
  throttleNext: number;
  retryAfter: string;
  close(): Promise<void>;
}

export async function startIntelTestServer(): Promise<IntelTestServer> {
  const state = {
    requests: [] as IntelTestServer['requests'],
    scores: {} as Record<string, number>,
    registrations: {} as Record<string, string>,
    failing: new Set<string>(),
    throttleNext: 0,
    retryAfter: '1',
  };
  const apiKey = 'test-key';

  function answer(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const send = (status: number, body: unknown, key: string, headers: Record<string, string> = {}) => {
      state.requests.push({ path: url.pathname, key, at: performance.now(), status });
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === '/api/v2/check') {
      const ip = url.searchParams.get('ipAddress') ?? '';
      if (req.headers.key !== apiKey) return send(401, { errors: [{ detail: 'Authentication failed' }] }, ip);
      if (state.throttleNext > 0) {
        state.throttleNext--;
        return send(429, { errors: [{ detail: 'Too Many Requests' }] }, ip, { 'retry-after': state.retryAfter });
      }
      if (state.failing.has(ip)) return send(500, { errors: [{ detail: 'oops' }] }, ip);
      return send(200, { data: { ipAddress: ip, isPublic: true, abuseConfidenceScore: state.scores[ip] ?? 0 } }, ip);
    }
    const domain = /^\/rdap\/domain\/(.+)$/.exec(url.pathname)?.[1];
    if (domain !== undefined) {
      const name = decodeURIComponent(domain);
      const date = state.registrations[name];
      if (date === undefined) return send(404, { errorCode: 404, title: 'Not Found' }, name);
      return send(200, { objectClassName: 'domain', ldhName: name, events: [{ eventAction: 'last changed', eventDate: '2024-01-01T00:00:00Z' }, { eventAction: 'registration', eventDate: date }] }, name);
    }
    send(404, {}, '');
  }

  const server: Server = createServer(answer);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    baseUrl: `http://127.0.0.1:${port}`,
    apiKey,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  });
}
