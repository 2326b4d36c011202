// Talking to this server, for every panel: the signed-in bearer token (kept in sessionStorage,
// so it lasts as long as the tab), requests with that token, anonymous JSON reads, and the one
// translation of a problem+json answer (RFC 9457 with safegrid's `code` and `field`) into an
// Error in plain words of the page's language (./problems.js).

import { t } from './i18n.js';
import { fieldName, wordProblem } from './problems.js';

/** Every request goes to the server that served the page. */
export const origin = location.origin;

const TOKEN_KEY = 'safegrid.token';
const API_ACCEPT = 'application/json, application/geo+json, application/problem+json';

/** The signed-in token, or null. */
export function getToken() {
  return sessionStorage.getItem(TOKEN_KEY);
}

/** Keeps `token` as the signed-in one for this tab. */
export function setToken(token) {
  sessionStorage.setItem(TOKEN_KEY, token);
}

/** Signs out: forgets the token. */
export function clearToken() {
  sessionStorage.removeItem(TOKEN_KEY);
}

/** A refused request: `message` says in plain words of the page's language what was wrong
 * (worded from the problem's `code`, else the status explained and the field named);
 * `detail` is the server's own (English) words, for developers. */
export class HttpError extends Error {
  constructor(status, problem) {
    const lead = {
      400: t('error.400'), 401: t('error.401'), 403: t('error.403'), 404: t('error.404'),
      409: t('error.409'), 413: t('error.413'), 422: t('error.422'),
    }[status] ?? t('error.other');
    const worded = wordProblem(problem);
    const field = problem?.field ? fieldName(problem.field) : '';
    super(worded ?? (field ? `${lead}：${field}` : lead));
    this.name = 'HttpError';
    /** The HTTP status. */
    this.status = status;
    /** The parsed problem+json body (or whatever JSON came), null when none. */
    this.problem = problem ?? null;
    /** The server's own words: its detail, else its title, else the status. */
    this.detail = problem?.detail ?? problem?.title ?? `HTTP ${status}`;
  }
}

/**
 * A request to this server, with the signed-in token unless `auth` is false. `body` is sent as
 * JSON when it is a plain value; a FormData, Blob (a File) or string goes as it is, a Blob or
 * string with `type` as its Content-Type (a Blob otherwise with its own type). Resolves to
 * `{ok, status, body, error}`: `body` is the parsed JSON answer (null when it is not JSON) and
 * `error`, when not ok, an HttpError made on each read (so in the language of the moment).
 */
export async function request(method, path, body, { accept = API_ACCEPT, type, auth = true } = {}) {
  const headers = { Accept: accept };
  const token = auth ? getToken() : null;
  if (token) headers.Authorization = `Bearer ${token}`;
  let payload = body;
  if (body instanceof Blob || typeof body === 'string') {
    if (type ?? body.type) headers['Content-Type'] = type ?? body.type;
  } else if (body !== undefined && !(body instanceof FormData)) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const response = await fetch(`${origin}${path}`, { method, headers, body: payload });
  const parsed = await response.json().catch(() => null);
  const { ok, status } = response;
  return {
    ok,
    status,
    body: parsed,
    get error() {
      return ok ? null : new HttpError(status, parsed);
    },
  };
}

/** A JSON GET, anonymous unless `auth` (then with the signed-in token, if any); a refusal
 * throws its HttpError. */
export async function getJson(path, { accept = 'application/json', auth = false } = {}) {
  const answer = await request('GET', path, undefined, { accept, auth });
  if (!answer.ok) throw answer.error;
  return answer.body;
}
