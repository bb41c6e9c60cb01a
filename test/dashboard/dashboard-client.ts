import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';

/** What a browser would hold after opening a dashboard page: its cookie and the page's CSRF token. */
export interface BrowserSession {
  cookie: string;
  token: string;
}

/** GET with an optional cookie, no redirect followed. */
export function get(url: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { headers, redirect: 'manual' });
}

/**
 * Opens a page like a browser: keeps the `sf_dashboard_csrf` cookie (the one it is given, when it sends one)
 * and reads the token of the page.
 */
export async function openSession(pageUrl: string, headers: Record<string, string> = {}): Promise<BrowserSession> {
  const response = await get(pageUrl, headers);
  assert.equal(response.status, 200);
  const setCookie = response.headers.get('set-cookie') ?? '';
  const cookie = /sf_dashboard_csrf=([^;]+)/.exec(setCookie || (headers.cookie ?? ''))?.[1];
  const token = /<meta name="sf-dashboard-csrf" content="([^"]+)">/.exec(await response.text())?.[1];
  assert.ok(cookie, `a CSRF cookie is set: ${setCookie}`);
  assert.ok(token, 'the page carries a CSRF token');
  return { cookie: `sf_dashboard_csrf=${cookie}`, token };
}

export interface ActionRequest {
  origin?: string | null;
  session?: BrowserSession;
  token?: string;
  headers?: Record<string, string>;
}

/** POSTs an action as the dashboard's script does; `origin: null` leaves the header out. */
export async function postAction(
  base: string,
  action: string,
  args: unknown,
  request: ActionRequest = {},
): Promise<{ status: number; body: { statusCode: number; message: string } }> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...request.headers };
  const origin = request.origin === undefined ? new URL(base).origin : request.origin;
  if (origin !== null) headers.origin = origin;
  if (request.session) headers.cookie = request.session.cookie;
  const token = request.token ?? request.session?.token;
  if (token !== undefined) headers['x-csrf-token'] = token;
  const response = await fetch(`${base}/api/actions/${action}`, {
    method: 'POST',
    headers,
    body: JSON.stringify(args),
  });
  return { status: response.status, body: (await response.json()) as { statusCode: number; message: string } };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * A request with headers `fetch` will not send as given (`Host`, as a browser sends it for a page whose
 * name was rebound to the app's address) and the path exactly as written (no normalisation).
 */
export function rawRequest(
  origin: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<RawResponse> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve, reject) => {
    const sent = httpRequest({ host: hostname, port, method, path, headers }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text }));
    });
    sent.on('error', reject);
    sent.end(body);
  });
}
