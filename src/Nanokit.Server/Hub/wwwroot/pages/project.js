// One project: GetProject (status, replicas), WatchProject (its events, live: the page follows the stream and reads
// GetProject again when an intent or a run is recorded), its logs (logs.js), and its actions (actions.js). Nothing here
// decides anything about the project: the page arranges what those calls return.
import { api, ApiError } from '../api.js';
import { failure, h, phaseBadge, show, table, time } from '../dom.js';
import { drawActions } from './actions.js';
import { drawLastRun, entriesOf, historySection } from './history.js';
import { logsSection } from './logs.js';
import { desired } from './projects.js';

const keptEvents = 1000;
const drawDelay = 50;
const firstRetry = 1000;
const lastRetry = 30000;
// FAILED_PRECONDITION (events pruned), RESOURCE_EXHAUSTED (the node serves its maximum of watches), UNAVAILABLE.
const retried = new Set([8, 9, 14]);

export async function renderProject(main, name, signal) {
  show(main, h('h1', {}, name), h('p', { class: 'muted' }, 'Loading…'));
  const parts = {
    status: h('section', { id: 'status' }),
    actions: h('section', { id: 'actions' }),
    replicas: h('section', { id: 'replicas' }),
    run: h('section', { id: 'last-run' }),
    events: h('section', { id: 'events' }),
    watch: h('span', { id: 'watch-state', class: 'muted' }),
    phase: h('span', { id: 'phase' }),
  };
  const [project, session] = await Promise.all([api.getProject(name, signal), api.session(signal)]);
  const state = { project, events: [], from: 1, watch: null, drawing: false, reading: null, again: false };
  show(main,
    h('p', {}, h('a', { href: '#/projects' }, '← Projects')),
    h('h1', {}, name, ' ', parts.phase, ' ', parts.watch),
    parts.status, parts.actions, parts.replicas, parts.run,
    logsSection(name, [...new Set((project.replicas || []).map((replica) => replica.service))].sort(), signal),
    parts.events);
  parts.update = drawActions(parts.actions, name, session.role, signal);
  drawProject(parts, state.project);
  parts.history = historySection(parts.events, (from) => watchFrom(name, state, parts, signal, from));
  watchFrom(name, state, parts, signal, 1);
}

/** Follows the project's events from revision `from` on, the history drawn again from them. */
function watchFrom(name, state, parts, signal, from) {
  state.watch?.abort();
  state.watch = new AbortController();
  Object.assign(state, { events: [], from });
  draw(state, parts);
  follow(name, state, parts, AbortSignal.any([signal, state.watch.signal]), from - 1);
}

/** The last run and the history, drawn at most every drawDelay however many events came (a replay brings hundreds). */
function draw(state, parts) {
  if (state.drawing) return;
  state.drawing = true;
  setTimeout(() => {
    state.drawing = false;
    const entries = entriesOf(state.events);
    drawLastRun(parts.run, entries);
    parts.history(entries, state.from);
  }, drawDelay);
}

function drawProject(parts, project) {
  parts.update(project);
  show(parts.phase, phaseBadge(project.phase));
  show(parts.status,
    h('dl', { class: 'facts' },
      fact('Desired', desired(project.desiredState), 'desired'),
      fact('Runtime', project.runtime, 'runtime'),
      fact('Generation', project.generation, 'generation'),
      fact('Observed generation', project.observedGeneration, 'observed-generation'),
      fact('Owner', project.owner, 'owner'),
      fact('Accepted', time(project.acceptedAt)),
      fact('Updated', time(project.updatedAt)),
      fact('Revision', project.revision, 'revision')),
    (project.failures || []).length > 0
      ? h('div', { class: 'failures', id: 'failures' }, h('h2', {}, 'Last error'), h('ul', {}, project.failures.map((f) => h('li', {}, f))))
      : null);
  const replicas = project.replicas || [];
  show(parts.replicas,
    h('h2', {}, 'Replicas'),
    project.replicasObservedAt ? h('p', { class: 'muted' }, `As the owner observed them at ${time(project.replicasObservedAt)}.`) : null,
    replicas.length === 0
      ? h('p', { class: 'muted' }, 'Not observed yet.')
      : table(['Service', 'Replica', 'State', 'Exit code', 'Id', 'Image', 'Generation'], replicas.map((replica) => h('tr', {},
        h('td', {}, replica.service),
        h('td', { class: 'num' }, replica.replica),
        h('td', {}, h('span', { class: `state state-${replica.state}` }, replica.state)),
        h('td', { class: 'num' }, replica.exitCode ?? ''),
        h('td', { class: 'id' }, replica.id),
        h('td', {}, replica.image),
        h('td', { class: 'num' }, replica.generation))), { id: 'replica-table' }));
}

function fact(term, value, id) {
  return [h('dt', {}, term), h('dd', { id }, value ?? '')];
}

/** Follows WatchProject after revision `after`; a stream that ends or breaks resumes after the last revision seen. */
async function follow(name, state, parts, signal, after) {
  let delay = firstRetry;
  while (!signal.aborted) {
    try {
      show(parts.watch, 'live');
      await api.watchProject(name, after, (event) => {
        after = Number(event.revision);
        delay = firstRetry;
        record(name, state, parts, event, signal);
      }, signal);
    } catch (error) {
      if (signal.aborted) return;
      if (error instanceof ApiError && !retried.has(error.code)) {
        show(parts.watch, failure(error));
        return;
      }
      if (error instanceof ApiError && error.code === 9) {
        // Pruned: as the API says, read the project and watch from its revision.
        after = Number((await api.getProject(name, signal).catch(() => state.project)).revision);
      }
    }
    show(parts.watch, `stream ended; resuming in ${delay / 1000} s`);
    await new Promise((resolve) => { setTimeout(resolve, delay); signal.addEventListener('abort', resolve, { once: true }); });
    delay = Math.min(delay * 2, lastRetry);
  }
}

function record(name, state, parts, event, signal) {
  state.events.push(event);
  if (state.events.length > keptEvents) state.events.shift();
  draw(state, parts);
  if (!event.serviceProgress) reread(name, state, parts, signal);
}

/** GetProject again after an intent, a run or drift was recorded; one read at a time, and one more if asked meanwhile. */
async function reread(name, state, parts, signal) {
  if (state.reading) {
    state.again = true;
    return;
  }
  state.reading = true;
  try {
    do {
      state.again = false;
      state.project = await api.getProject(name, signal);
      drawProject(parts, state.project);
    } while (state.again && !signal.aborted);
  } catch (error) {
    if (!signal.aborted) show(parts.status, failure(error));
  } finally {
    state.reading = false;
  }
}
