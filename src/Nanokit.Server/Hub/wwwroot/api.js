// The node's API as the Hub calls it: the JSON routes of nanokit.proto (gRPC JSON transcoding: the same methods,
// token and errors as gRPC) and the management endpoints. The token lives in this tab's sessionStorage only.

const tokenKey = 'nanokit.hub.token';

export const token = {
  get: () => sessionStorage.getItem(tokenKey) || '',
  set: (value) => sessionStorage.setItem(tokenKey, value),
  clear: () => sessionStorage.removeItem(tokenKey),
};

// gRPC status codes by number, as the JSON routes report them in {code, message}.
const statusNames = ['OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS',
  'PERMISSION_DENIED', 'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED', 'INTERNAL',
  'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED'];

export class ApiError extends Error {
  constructor(httpStatus, code, message) {
    super(message);
    this.httpStatus = httpStatus;
    this.code = code;
    this.status = code !== null && code !== undefined ? statusNames[code] || `code ${code}` : `HTTP ${httpStatus}`;
  }

  get unauthenticated() { return this.code === 16; }
}

function headers(json) {
  const result = {};
  const value = token.get();
  if (value) result.authorization = `Bearer ${value}`;
  if (json) result['content-type'] = 'application/json';
  return result;
}

async function errorOf(response) {
  try {
    const body = await response.json();
    return new ApiError(response.status, body.code, body.message || response.statusText);
  } catch {
    return new ApiError(response.status, null, response.statusText || 'the server answered without a message');
  }
}

async function call(method, path, { body, signal } = {}) {
  const response = await fetch(path, {
    method, headers: headers(body !== undefined), body: body === undefined ? undefined : JSON.stringify(body), signal, cache: 'no-store',
  });
  if (!response.ok) throw await errorOf(response);
  return response.json();
}

const project = (name) => `/v1/projects/${encodeURIComponent(name)}`;

export const api = {
  listProjects: (pageToken, pageSize, signal) =>
    call('GET', `/v1/projects?${new URLSearchParams({ pageToken: pageToken || '', pageSize: String(pageSize || 0) })}`, { signal }),
  getProject: (name, signal) => call('GET', project(name), { signal }),
  checkDrift: (name, signal) => call('GET', `${project(name)}/drift`, { signal }),
  planProject: (source, signal) => call('POST', '/v1/projects:plan', { body: { source }, signal }),
  members: (signal) => call('GET', '/cluster/members', { signal }),
  shards: (signal) => call('GET', '/cluster/shards', { signal }),

  /**
   * WatchProject: calls onEvent with each event after afterRevision, as the server streams them, until signal aborts.
   * Resolves when the server ends the stream; rejects with an ApiError for an error.
   */
  watchProject: (name, afterRevision, onEvent, signal) =>
    stream(`${project(name)}/events?${new URLSearchParams({ afterRevision: String(afterRevision) })}`, (m) => m.revision !== undefined, onEvent, signal),

  /**
   * StreamLogs: each LogLine {service, replica, line, time} of the project's replicas (only services', when any);
   * tail: per replica, none when undefined; since: RFC 3339, every line when empty; time only with timestamps.
   */
  streamLogs(name, { services = [], follow, tail, timestamps = false, since = '' }, onLine, signal, onOpen) {
    const query = new URLSearchParams({ follow: String(follow), timestamps: String(timestamps) });
    if (tail !== undefined) query.set('tail', String(tail));
    if (since) query.set('since', since);
    for (const service of services) query.append('services', service);
    return stream(`${project(name)}/logs?${query}`, (m) => m.service !== undefined, onLine, signal, onOpen);
  },

  /** The role of this tab's token ({role: 'read' | 'write' | 'admin'}), so a page offers only what it may do. */
  session: (signal) => call('GET', '/hub/session', { signal }),
  applyProject: (request, signal) => call('POST', '/v1/projects', { body: request, signal }),
  deleteProject: (name, signal) => call('DELETE', project(name), { signal }),
};

/**
 * A server stream over JSON transcoding: one JSON object per line for as long as the request stays open. isMessage
 * tells a message from the {code, message} object that ends a stream which failed after it started; onOpen, if given,
 * is called once the server accepted the call.
 */
async function stream(path, isMessage, onMessage, signal, onOpen) {
  const response = await fetch(path, { headers: headers(false), signal, cache: 'no-store' });
  if (!response.ok) throw await errorOf(response);
  onOpen?.();
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    for (let end = buffer.indexOf('\n'); end >= 0; end = buffer.indexOf('\n')) {
      const line = buffer.slice(0, end).trim();
      buffer = buffer.slice(end + 1);
      if (!line) continue;
      const message = JSON.parse(line);
      if (!isMessage(message) && message.code !== undefined) throw new ApiError(response.status, message.code, message.message);
      onMessage(message);
    }
  }
}

/** Reads files the operator picked into ApplyProjectRequest.files (bytes are base64 in protobuf's JSON). */
export async function sourceFiles(fileList) {
  const files = [];
  for (const file of fileList) {
    const bytes = new Uint8Array(await file.arrayBuffer());
    let binary = '';
    for (const byte of bytes) binary += String.fromCharCode(byte);
    files.push({ name: file.name, content: btoa(binary) });
  }
  return files;
}
