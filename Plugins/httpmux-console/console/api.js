// The management API as the console calls it: POST with a JSON body (the secret stays out of URLs and
// access logs), ZLMediaKit's envelope unwrapped. With `[api] secret` set, the secret the operator typed is
// kept in sessionStorage for this tab only and sent with every call; the page itself never holds one.

const SECRET_KEY = 'mediarouter.secret';
const AUTH_REFUSED = -100;

export class ApiError extends Error {
  constructor(name, code, msg) {
    super(name + ': ' + msg + ' (code ' + code + ')');
    this.code = code;
    this.serverMessage = msg;
  }
  get isAuth() { return this.code === AUTH_REFUSED; }
}

const authListeners = [];

/// Called with the server's refusal message whenever a call is refused for its secret.
export function onAuthRefused(listener) { authListeners.push(listener); }

/// Set by a refusal, cleared by a new secret: meanwhile the pages' polls wait instead of being refused
/// (and logged by the server) every second.
let waitingForSecret = false;

export function secret() { return sessionStorage.getItem(SECRET_KEY) || ''; }
export function setSecret(value) {
  if (value) sessionStorage.setItem(SECRET_KEY, value); else sessionStorage.removeItem(SECRET_KEY);
  if (value) waitingForSecret = false;
}

function body(params) {
  const out = {};
  for (const [k, v] of Object.entries(params || {})) if (v !== undefined && v !== null) out[k] = String(v);
  const s = secret();
  if (s) out.secret = s;
  return JSON.stringify(out);
}

async function post(name, params) {
  if (waitingForSecret && !secret()) throw new ApiError(name, AUTH_REFUSED, 'waiting for the secret');
  const response = await fetch('index/api/' + name, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: body(params), cache: 'no-store',
  });
  if (!response.ok) throw new ApiError(name, -1, 'HTTP ' + response.status);
  return response;
}

function refused(name, answer) {
  const error = new ApiError(name, answer.code, answer.msg || 'failed');
  if (error.isAuth) {
    for (const l of authListeners) l(error.serverMessage);
    waitingForSecret = true;
  }
  return error;
}

/// One call; resolves with the whole answer object when code is 0, rejects with an ApiError otherwise.
export async function call(name, params) {
  const answer = await (await post(name, params)).json();
  if (answer.code !== 0) throw refused(name, answer);
  return answer;
}

/// getSnap answers a picture, or the JSON envelope when it has neither a frame nor a default picture.
export async function snapshot(url) {
  const response = await post('getSnap', { url, timeout_sec: 10, expire_sec: 30 });
  const type = response.headers.get('Content-Type') || '';
  if (type.startsWith('image/')) return response.blob();
  const answer = await response.json();
  throw refused('getSnap', answer);
}
