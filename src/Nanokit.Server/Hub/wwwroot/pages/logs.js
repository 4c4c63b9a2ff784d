// A project's logs: StreamLogs of its replicas, newest at the bottom. The page keeps the last keptLines lines (older
// ones are dropped as new ones come), asks the server for no more than that per replica, and ends the stream when the
// operator leaves the page (the page's signal) or changes what to show (a new stream replaces the old one).
import { api } from '../api.js';
import { failure, h, show } from '../dom.js';

export const keptLines = 1000;

/** The logs section of project NAME; services: the names offered in the filter. Starts streaming at once. */
export function logsSection(name, services, signal) {
  const lines = h('ol', { id: 'log-lines', class: 'logs' });
  const state = h('span', { id: 'log-state', class: 'muted' });
  const filter = h('select', { id: 'log-service', 'aria-label': 'Service' },
    h('option', { value: '' }, 'All services'),
    services.map((service) => h('option', { value: service }, service)));
  const follow = h('input', { type: 'checkbox', id: 'log-follow', checked: true });
  let current = null;

  const start = () => {
    current?.abort();
    current = new AbortController();
    const stop = AbortSignal.any([signal, current.signal]);
    lines.replaceChildren();
    read(name, { services: filter.value ? [filter.value] : [], follow: follow.checked, tail: keptLines }, lines, state, stop);
  };
  filter.addEventListener('change', start);
  follow.addEventListener('change', start);
  start();
  return h('section', { id: 'logs' },
    h('h2', {}, 'Logs'),
    h('div', { class: 'toolbar' },
      h('label', {}, 'Service ', filter),
      h('label', {}, follow, ' Follow'),
      state),
    lines);
}

async function read(name, request, lines, state, signal) {
  show(state, request.follow ? 'following' : 'reading');
  try {
    await api.streamLogs(name, request, (line) => append(lines, line), signal);
    if (!signal.aborted) show(state, request.follow ? 'the stream ended (the owner moved or stopped): pick again to resume' : 'end of the logs');
  } catch (error) {
    if (!signal.aborted) show(state, failure(error));
  }
}

function append(lines, line) {
  // Stay at the bottom only when the reader is there: someone scrolled up to read is not moved.
  const atBottom = lines.scrollHeight - lines.scrollTop - lines.clientHeight < 4;
  lines.append(h('li', { 'data-service': line.service },
    h('span', { class: 'source' }, `${line.service}[${line.replica}]`), ' ', line.line ?? ''));
  while (lines.childElementCount > keptLines) lines.firstElementChild.remove();
  if (atBottom) lines.scrollTop = lines.scrollHeight;
}
