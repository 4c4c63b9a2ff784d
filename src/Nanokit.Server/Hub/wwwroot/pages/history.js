// A project's history: its events (WatchProject, from a revision) as a timeline, newest first. Each intent accepted
// and each drift found is an entry; each run is one entry gathering its events: why and when it started and on which
// node, its planned actions layer by layer, each service's latest phase and message, its outcome and failures.
import { h, show, table, time } from '../dom.js';
import { desired } from './projects.js';

/** The entries of events (oldest first): {kind: 'intent' | 'run' | 'drift' | 'other', event, progress?, completed?}. */
export function entriesOf(events) {
  const entries = [];
  let run = null;
  for (const event of events) {
    if (event.runStarted) {
      run = { kind: 'run', event, progress: new Map(), completed: null };
      entries.push(run);
    } else if (event.serviceProgress) {
      run?.progress.set(event.serviceProgress.service, event);
    } else if (event.runCompleted) {
      if (run) run.completed = event;
      run = null;
    } else {
      entries.push({ kind: event.intentAccepted ? 'intent' : event.driftFound ? 'drift' : 'other', event });
    }
  }
  return entries;
}

/** The last run among entries, drawn in full (#run-outcome names its outcome). */
export function drawLastRun(section, entries) {
  const run = entries.findLast((entry) => entry.kind === 'run');
  show(section, h('h2', {}, 'Last run'), run ? runDetails(run, true) : h('p', { class: 'muted' }, 'No run among the kept events yet.'));
}

/**
 * The History section: a "From revision" form, kept while the timeline under it is drawn again (so typing in it is not
 * undone by a new event); onFrom(revision) watches again from another revision. Returns draw(entries, from).
 */
export function historySection(section, onFrom) {
  const first = h('input', { type: 'number', id: 'history-from', min: 1, 'aria-label': 'From revision' });
  const timeline = h('div', {});
  show(section,
    h('h2', {}, 'History'),
    h('form', { class: 'toolbar', onsubmit: (event) => { event.preventDefault(); onFrom(Math.max(1, Math.floor(Number(first.value)) || 1)); } },
      h('label', {}, 'From revision ', first), h('button', { type: 'submit', id: 'history-show' }, 'Show')),
    timeline);
  return (entries, from) => {
    if (document.activeElement !== first) first.value = String(from);
    show(timeline, entries.length === 0 ? h('p', { class: 'muted' }, 'None yet.') : h('ol', { class: 'events', id: 'event-list' },
      [...entries].reverse().map((entry) => h('li', { 'data-revision': entry.event.revision, 'data-kind': entry.kind, class: `entry entry-${entry.kind}` },
        h('span', { class: 'muted' }, `#${entry.event.revision} ${time(entry.event.at)} gen ${entry.event.generation} `),
        describe(entry)))));
  };
}

function describe(entry) {
  const { event } = entry;
  if (entry.kind === 'intent') return `intent accepted: ${desired(event.intentAccepted.desiredState)} (on ${event.node})`;
  if (entry.kind === 'drift') return h('span', {}, `drift found: +${event.driftFound.add} ~${event.driftFound.change} -${event.driftFound.destroy}`, h('pre', {}, event.driftFound.plan));
  if (entry.kind === 'run') return runDetails(entry, false);
  return 'an event this Hub does not know';
}

function outcome(run) {
  const completed = run.completed?.runCompleted;
  return completed ? (completed.succeeded ? 'Succeeded' : 'Failed') : 'Running';
}

function runDetails(run, last) {
  const started = run.event.runStarted;
  const completed = run.completed?.runCompleted;
  const failures = completed?.failures || [];
  return h('div', { class: 'run' },
    h('p', {},
      last ? `Generation ${run.event.generation}, ${started.trigger}, started ` : `run (${started.trigger}) started `,
      `${time(run.event.at)} on ${run.event.node}: `,
      `${started.add} to add, ${started.change} to change, ${started.destroy} to destroy. `,
      h('strong', { id: last ? 'run-outcome' : null, class: `outcome outcome-${outcome(run).toLowerCase()}` }, outcome(run)),
      completed ? ` in ${completed.durationSeconds.toFixed(1)} s.` : ''),
    h('ul', { class: 'layers' }, (started.layers || []).map((layer) => h('li', {},
      `layer ${layer.index}: `,
      (layer.actions || []).map((action) => `${action.action} ${action.service}[${action.replica}]`).join(', ')))),
    run.progress.size === 0 ? null : table(['Service', 'Phase', 'Message', 'Elapsed'], [...run.progress.values()].map((event) => h('tr', {},
      h('td', {}, event.serviceProgress.service),
      h('td', {}, event.serviceProgress.phase),
      h('td', {}, event.serviceProgress.message),
      h('td', { class: 'num' }, `${event.serviceProgress.elapsedSeconds.toFixed(2)} s`)))),
    failures.length > 0 ? h('ul', { class: 'failures run-failures' }, failures.map((f) => h('li', {}, `${f.service}: ${f.reason}`))) : null);
}
