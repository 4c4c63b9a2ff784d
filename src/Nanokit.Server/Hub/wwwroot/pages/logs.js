// A project's logs: StreamLogs of its replicas with each line's time, newest at the bottom. The page keeps the last
// keptLines lines (older ones are dropped as new ones come), asks the server for no more than that per replica, and
// ends the stream when the operator leaves the page (the page's signal) or changes what to show (a new stream replaces
// the old one; unticking Follow reads once and stops). A follow the server ends or cuts (its node stopped, the owner
// moved after a failover, a proxy's timeout) is resumed as `kubectl logs -f` users expect: see resumeFrom.
import { api, ApiError } from '../api.js';
import { failure, h, show } from '../dom.js';
import { parseSince } from './since.js';

export const keptLines = 1000;
// Reconnecting: 1 s, doubling to 15 s; a stream that stayed open a healthy minute starts again from 1 s, so a node
// that restarts once a day is not waited for 15 s, and one that cuts every stream at once is not hammered.
const firstRetry = 1000;
const lastRetry = 15000;
const healthy = 60000;
// Errors that say "not now" (UNAVAILABLE: the owner is moving or unreachable; DEADLINE_EXCEEDED); any other is final.
const retried = new Set([4, 14]);
// Offered as you type in "Since"; any other duration or time may be typed.
const suggested = ['30s', '5m', '15m', '1h', '2h', '24h'];

/** The logs section of project NAME; services: the names offered in the filter. Starts streaming at once. */
export function logsSection(name, services, signal) {
  const lines = h('ol', { id: 'log-lines', class: 'logs' });
  const state = h('span', { id: 'log-state', class: 'muted', role: 'status' });
  const filter = h('select', { id: 'log-service', 'aria-label': 'Service' },
    h('option', { value: '' }, 'All services'),
    services.map((service) => h('option', { value: service }, service)));
  const since = h('input', {
    type: 'text', id: 'log-since', 'aria-label': 'Since', list: 'log-since-suggested', size: 14, spellcheck: 'false',
    placeholder: 'all, or 15m, 2h…', 'aria-describedby': 'log-since-error',
  });
  const sinceError = h('span', { id: 'log-since-error', class: 'inline-error', role: 'alert', hidden: true });
  // What the stream shows since: the last valid value typed (a bad one is refused where it was typed, and the lines
  // shown stay those of the previous choice).
  let shownSince = parseSince('');
  const follow = h('input', { type: 'checkbox', id: 'log-follow', checked: true });
  let current = null;

  const start = () => {
    current?.abort();
    current = new AbortController();
    const stop = AbortSignal.any([signal, current.signal]);
    lines.replaceChildren();
    const request = {
      services: filter.value ? [filter.value] : [],
      follow: follow.checked,
      tail: keptLines,
      // A duration back from the browser's clock: the server compares it with the times its runtime stored.
      since: shownSince.at(Date.now()),
    };
    read(name, request, lines, state, stop);
  };
  filter.addEventListener('change', start);
  // On Enter or leaving the field (change), not on each key: "1" on the way to "15m" is no choice yet.
  since.addEventListener('change', () => {
    const chosen = parseSince(since.value);
    if (chosen.error) {
      since.setAttribute('aria-invalid', 'true');
      show(sinceError, `Since: ${chosen.error}; the lines shown are still those of the previous choice`);
      sinceError.hidden = false;
      return;
    }
    since.removeAttribute('aria-invalid');
    show(sinceError);
    sinceError.hidden = true;
    shownSince = chosen;
    start();
  });
  follow.addEventListener('change', start);
  start();
  return h('section', { id: 'logs' },
    h('h2', {}, 'Logs'),
    h('div', { class: 'toolbar' },
      h('label', {}, 'Service ', filter),
      h('label', {}, 'Since ', since),
      h('datalist', { id: 'log-since-suggested' }, suggested.map((value) => h('option', { value }))),
      sinceError,
      h('label', {}, follow, ' Follow'),
      state),
    lines);
}

async function read(name, request, lines, state, signal) {
  // Per replica ("service[replica]"): the newest instant shown and how many of its lines were shown at that instant.
  const shown = new Map();
  // While resuming, per replica: lines up to its newest instant shown are dropped (at that instant, as many as shown).
  let seen = new Map();
  let delay = firstRetry;
  const onLine = (line) => {
    const source = `${line.service}[${line.replica}]`;
    const key = instant(line.time);
    const before = seen.get(source);
    if (before && key !== null) {
      if (key < before.key || (key === before.key && before.count > 0)) {
        if (key === before.key) before.count -= 1;
        return;
      }
      seen.delete(source);
    }
    if (key !== null) {
      const newest = shown.get(source);
      if (!newest || key > newest.key) shown.set(source, { key, time: line.time, count: 1 });
      else if (key === newest.key) newest.count += 1;
    }
    append(lines, line, source);
  };
  // Why the stream ended, from then until a new one is open (it says so in the lines once it is).
  let cut = null;
  let openedAt = 0;
  const opened = () => {
    openedAt = Date.now();
    show(state, request.follow ? 'following' : 'reading');
    if (cut) note(lines, `${cut}; resumed ${request.since ? `from ${request.since}` : 'from the start'} at ${new Date().toISOString()}`);
    cut = null;
  };
  while (!signal.aborted) {
    show(state, cut ? `reconnecting… (${cut})` : request.follow ? 'following' : 'reading');
    openedAt = 0;
    try {
      await api.streamLogs(name, { ...request, timestamps: true }, onLine, signal, opened);
      if (!request.follow) {
        if (!signal.aborted) show(state, 'end of the logs');
        return;
      }
      cut ??= 'the server ended the stream';
    } catch (error) {
      if (signal.aborted) return;
      if (error instanceof ApiError && !retried.has(error.code)) {
        show(state, failure(error));
        return;
      }
      cut ??= `the stream was cut (${error instanceof ApiError ? `${error.status}: ${error.message}` : error.message})`;
    }
    if (signal.aborted) return;
    if (openedAt && Date.now() - openedAt >= healthy) delay = firstRetry;
    show(state, `reconnecting… (${cut}); next try in ${delay / 1000} s`);
    await new Promise((resolve) => {
      const timer = setTimeout(resolve, delay);
      signal.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
    });
    delay = Math.min(delay * 2, lastRetry);
    const from = resumeFrom(shown, lines);
    if (from) {
      // Every line after what was shown: no tail, which would skip lines written meanwhile.
      request = { ...request, since: from, tail: undefined };
      seen = new Map([...shown].map(([source, newest]) => [source, { key: newest.key, count: newest.count }]));
    }
  }
}

/**
 * The `since` of a resumed stream (StreamLogs has no cursor; its `since` is an inclusive RFC 3339 time): the oldest
 * of the replicas' newest lines shown, so a replica whose lines reached the page behind another's loses none, but not
 * before the oldest line the page still keeps: every line since then is on the page already, so what comes again is
 * at most what the page holds (as the first request's tail), however long a quiet replica has been quiet. The lines
 * already shown are dropped by each replica's newest instant and count (read's seen), so none is repeated. Empty when
 * nothing was shown.
 */
function resumeFrom(shown, lines) {
  const newest = [...shown.values()].map((replica) => replica.key).sort();
  if (newest.length === 0) return '';
  const kept = instant(lines.querySelector('li[data-time]')?.dataset.time);
  const from = newest.find((key) => kept === null || key >= kept) || newest[newest.length - 1];
  return [...shown.values()].find((replica) => replica.key === from).time;
}

/** An RFC 3339 UTC time as a string that sorts as the instant does (fractions of any length, to the nanosecond). */
function instant(value) {
  const match = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/i.exec(value || '');
  return match ? `${match[1]}.${(match[2] || '').padEnd(9, '0')}` : null;
}

/** 2026-12-02T14:50:01.123456Z as 2026-12-02 14:50:01.123 (the full time in its title). */
function shortTime(value) {
  const match = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(?:\.(\d{1,3}))?/.exec(value || '');
  return match ? `${match[1]} ${match[2]}.${(match[3] || '').padEnd(3, '0')}` : value || '';
}

function append(lines, line, source) {
  // Stay at the bottom only when the reader is there: someone scrolled up to read is not moved.
  const atBottom = lines.scrollHeight - lines.scrollTop - lines.clientHeight < 4;
  lines.append(h('li', { 'data-service': line.service, 'data-time': line.time || undefined },
    h('span', { class: 'time', title: line.time }, shortTime(line.time)), ' ',
    h('span', { class: 'source' }, source), ' ',
    h('span', { class: 'text' }, line.line ?? '')));
  trim(lines);
  if (atBottom) lines.scrollTop = lines.scrollHeight;
}

function note(lines, text) {
  lines.append(h('li', { class: 'note', role: 'status' }, `— ${text} —`));
  trim(lines);
  lines.scrollTop = lines.scrollHeight;
}

function trim(lines) {
  while (lines.childElementCount > keptLines) lines.firstElementChild.remove();
}
