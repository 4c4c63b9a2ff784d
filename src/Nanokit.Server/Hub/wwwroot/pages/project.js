// One project: GetProject (status, replicas), WatchProject (its events, live: the page follows the stream and reads
// GetProject again when an intent or a run is recorded), its logs (logs.js), and its actions (actions.js). Nothing here
// decides anything about the project: the page arranges what those calls return.
import { api, ApiError } from '../api.js';
import { failure, h, phaseBadge, show, table, time } from '../dom.js';
import { drawActions } from './actions.js';
import { logsSection } from './logs.js';
import { desired } from './projects.js';

const shownEvents = 100;
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
  const state = { project, events: [], run: null, reading: null, again: false };
  show(main,
    h('p', {}, h('a', { href: '#/projects' }, '← Projects')),
    h('h1', {}, name, ' ', parts.phase, ' ', parts.watch),
    parts.status, parts.actions, parts.replicas, parts.run,
    logsSection(name, [...new Set((project.replicas || []).map((replica) => replica.service))].sort(), signal),
    parts.events);
  parts.update = drawActions(parts.actions, name, session.role, signal);
  drawProject(parts, state.project);
  drawRun(parts.run, null);
  drawEvents(parts.events, []);
  follow(name, state, parts, signal);
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

/** Follows WatchProject from the first kept event; a stream that ends or breaks resumes after the last revision seen. */
async function follow(name, state, parts, signal) {
  let after = 0;
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
  if (state.events.length > shownEvents) state.events.shift();
  if (event.runStarted) state.run = { started: event, progress: new Map(), completed: null };
  else if (event.serviceProgress && state.run) state.run.progress.set(event.serviceProgress.service, event);
  else if (event.runCompleted && state.run) state.run.completed = event;
  drawRun(parts.run, state.run);
  drawEvents(parts.events, state.events);
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

function drawRun(section, run) {
  if (!run) {
    show(section, h('h2', {}, 'Last run'), h('p', { class: 'muted' }, 'No run among the kept events yet.'));
    return;
  }
  const started = run.started.runStarted;
  const completed = run.completed && run.completed.runCompleted;
  show(section,
    h('h2', {}, 'Last run'),
    h('p', {},
      `Generation ${run.started.generation}, ${started.trigger}, started ${time(run.started.at)} on ${run.started.node}: `,
      `${started.add} to add, ${started.change} to change, ${started.destroy} to destroy. `,
      h('strong', { id: 'run-outcome' }, completed ? (completed.succeeded ? 'Succeeded' : 'Failed') : 'Running'),
      completed ? ` in ${completed.durationSeconds.toFixed(1)} s.` : ''),
    h('ul', { class: 'layers' }, (started.layers || []).map((layer) => h('li', {},
      `layer ${layer.index}: `,
      (layer.actions || []).map((action) => `${action.action} ${action.service}[${action.replica}]`).join(', ')))),
    run.progress.size === 0 ? null : table(['Service', 'Phase', 'Message', 'Elapsed'], [...run.progress.values()].map((event) => h('tr', {},
      h('td', {}, event.serviceProgress.service),
      h('td', {}, event.serviceProgress.phase),
      h('td', {}, event.serviceProgress.message),
      h('td', { class: 'num' }, `${event.serviceProgress.elapsedSeconds.toFixed(2)} s`)))),
    completed && (completed.failures || []).length > 0
      ? h('ul', { class: 'failures' }, completed.failures.map((f) => h('li', {}, `${f.service}: ${f.reason}`)))
      : null);
}

function drawEvents(section, events) {
  show(section,
    h('h2', {}, 'Events'),
    events.length === 0 ? h('p', { class: 'muted' }, 'None yet.') : h('ol', { class: 'events', id: 'event-list', reversed: true },
      [...events].reverse().map((event) => h('li', { 'data-revision': event.revision },
        h('span', { class: 'muted' }, `#${event.revision} ${time(event.at)} gen ${event.generation} `), describe(event)))));
}

function describe(event) {
  if (event.intentAccepted) return `intent accepted: ${desired(event.intentAccepted.desiredState)}`;
  if (event.runStarted) return `run started (${event.runStarted.trigger}): +${event.runStarted.add} ~${event.runStarted.change} -${event.runStarted.destroy}`;
  if (event.serviceProgress) return `${event.serviceProgress.service}: ${event.serviceProgress.phase}${event.serviceProgress.message ? ` (${event.serviceProgress.message})` : ''}`;
  if (event.runCompleted) {
    const failures = (event.runCompleted.failures || []).map((f) => `${f.service}: ${f.reason}`).join('; ');
    return `run ${event.runCompleted.succeeded ? 'succeeded' : 'failed'} (${event.runCompleted.trigger})${failures ? `: ${failures}` : ''}`;
  }
  if (event.driftFound) return h('span', {}, `drift found: +${event.driftFound.add} ~${event.driftFound.change} -${event.driftFound.destroy}`, h('pre', {}, event.driftFound.plan));
  return 'an event this Hub does not know';
}
