// "Since" as the operator types it, read as `nkapp logs --since` and `docker logs --since` read theirs: a duration back
// from now in Go's syntax (the one Compose files use: 30s, 15m, 2h, 1h30m, 1.5h, 500ms; units ns, us, µs, ms, s, m,
// h) or an RFC 3339 time with its zone (2026-01-02T15:04:05Z, any fraction, or an offset). Empty: every line.

const unitMillis = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60000, h: 3600000 };
const duration = /^(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h))+$/;
const part = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/g;
const rfc3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:\d\d)$/i;

/**
 * text as what to ask StreamLogs: {at(now)} giving the RFC 3339 `since` at the time of asking ('' for every line; a
 * duration is counted back from each request's now), or {error} saying why text is neither.
 */
export function parseSince(text) {
  const value = text.trim();
  if (value === '') return { at: () => '' };
  if (value === '0' || duration.test(value)) {
    let millis = 0;
    for (const [, number, unit] of value.matchAll(part)) millis += Number(number) * unitMillis[unit];
    return within(millis) ? { at: (now) => new Date(now - millis).toISOString() } : tooFar(value);
  }
  if (rfc3339.test(value)) {
    // Date.parse keeps milliseconds; the server compares at its own precision, so a finer fraction is sent as typed.
    const millis = Date.parse(value.replace(/(\.\d{3})\d+/, '$1'));
    if (Number.isFinite(millis)) return { at: () => value.toUpperCase() };
  }
  return { error: `"${value}" is neither a duration (30s, 15m, 2h, 1h30m) nor an RFC 3339 time (2026-01-02T15:04:05Z)` };
}

// JavaScript's dates reach 100 million days either side of 1970: a duration that goes further back is no instant.
function within(millis) {
  return Number.isFinite(new Date(Date.now() - millis).getTime());
}

function tooFar(value) {
  return { error: `"${value}" reaches further back than a date can (more than 270 000 years)` };
}
