// Projects: ListProjects as the server orders it (failing first, then by name), one page at a time, kept current by
// reading the page again every refreshInterval while the tab is visible (no API streams every project's changes; see
// docs/hub.md for why a poll and why this interval). An answer changes the rows in place: a row that is still listed
// keeps its element, and a cell its text unless that changed, so the operator's scroll and selection survive.
import { api } from '../api.js';
import { failure, h, phaseBadge, show, table, time } from '../dom.js';
import { handOver } from './actions.js';
import { applyForm } from './apply.js';

export const refreshInterval = 5000;
// Rows per page the operator may choose (ListProjects allows 1..1000), and the server's default.
const pageSizes = [10, 25, 100, 500];
const defaultPageSize = 100;

/**
 * The Projects page at the last of trail: the page tokens of the pages seen since the first ('' for the first), so
 * "Previous page" asks for the one before with the very token the server gave (ListProjects pages forward only).
 */
export async function renderProjects(main, page, trail = [''], pageSize = defaultPageSize) {
  // Another page of the list ends this one's polling; leaving the Projects page (page) ends both.
  const own = new AbortController();
  const signal = AbortSignal.any([page, own.signal]);
  const pageToken = trail[trail.length - 1];
  const go = (tokens, size = pageSize) => {
    own.abort();
    renderProjects(main, page, tokens, size).catch((error) => { if (!page.aborted) show(main, failure(error)); });
  };
  show(main, h('h1', {}, 'Projects'), h('p', { class: 'muted' }, 'Loading…'));
  let [answer, session] = await Promise.all([api.listProjects(pageToken, pageSize, signal), api.session(signal)]);
  const body = h('tbody', {});
  const none = h('p', { class: 'muted', id: 'no-projects' }, 'No project was applied to this cluster yet.');
  const listed = table(['Project', 'Phase', 'Desired', 'Observed / generation', 'Runtime', 'Owner', 'Updated', 'Last error'], [], { id: 'projects' });
  listed.querySelector('tbody').replaceWith(body);
  const polled = h('span', { id: 'list-state', class: 'muted' });
  const next = h('span', {});
  const rows = new Map();
  const draw = () => {
    place(body, rows, answer.projects || []);
    none.hidden = rows.size > 0;
    listed.hidden = rows.size === 0;
    show(next, answer.nextPageToken
      ? h('button', { type: 'button', id: 'next-page', onclick: () => go([...trail, answer.nextPageToken]) }, 'Next page')
      : null);
  };
  const size = h('select', { id: 'page-size', 'aria-label': 'Rows per page', onchange: () => go([''], Number(size.value)) },
    pageSizes.map((value) => h('option', { value, selected: value === pageSize }, String(value))));
  const refresh = async () => {
    try {
      answer = await api.listProjects(pageToken, pageSize, signal);
      draw();
      show(polled, `updated ${new Date().toISOString().slice(11, 19)}Z, every ${refreshInterval / 1000} s`);
    } catch (error) {
      if (!signal.aborted) show(polled, failure(error));
    }
  };
  show(main,
    h('h1', {}, 'Projects'),
    h('div', { class: 'toolbar' },
      h('button', { type: 'button', onclick: refresh }, 'Refresh'),
      trail.length > 1 ? h('button', { type: 'button', id: 'first-page', onclick: () => go(['']) }, 'First page') : null,
      trail.length > 1 ? h('button', { type: 'button', id: 'previous-page', onclick: () => go(trail.slice(0, -1)) }, 'Previous page') : null,
      next,
      h('span', { id: 'page-number' }, `page ${trail.length}`),
      h('label', {}, size, ' per page'),
      polled),
    newProject(session.role, refresh, signal),
    none, listed);
  draw();
  while (!signal.aborted) {
    await new Promise((resolve) => {
      const timer = setTimeout(resolve, refreshInterval);
      signal.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
    });
    if (!signal.aborted && document.visibilityState === 'visible') await refresh();
  }
}

/**
 * "Apply a new project…": the files' plan, then their apply (write role only: a read token sees the button disabled
 * with the reason). The accepted answer links to the project's page, which follows it; the list is read at once.
 */
function newProject(role, refresh, signal) {
  const refused = role === 'write' || role === 'admin' ? null : `Applying a project needs a token with the write role; this token has the ${role} role.`;
  const section = h('section', { id: 'new-project' });
  const accepted = h('div', { id: 'new-accepted' });
  const form = h('div', {});
  const open = () => {
    show(form, applyForm({
      project: null,
      refused,
      onAccepted: (answer) => {
        handOver(answer);
        show(form);
        show(accepted, h('p', {}, h('strong', {}, `Project ${answer.project}: generation ${answer.generation} accepted`),
          ` (revision ${answer.revision}). `, h('a', { href: `#/projects/${encodeURIComponent(answer.project)}`, id: 'follow-new' }, 'Follow it on its page')));
        refresh();
      },
      signal,
    }));
    show(accepted);
  };
  show(section,
    h('div', { class: 'toolbar' },
      h('button', { type: 'button', id: 'apply-new', disabled: refused !== null, title: refused, onclick: open }, 'Apply a new project…'),
      refused ? h('span', { id: 'new-refused', class: 'muted' }, refused) : null),
    form, accepted);
  return section;
}

/** Makes body's rows those of projects, in their order, reusing the row (and each unchanged cell) of a name. */
function place(body, rows, projects) {
  const names = new Set(projects.map((project) => project.name));
  for (const [name, row] of rows) {
    if (!names.has(name)) {
      row.remove();
      rows.delete(name);
    }
  }
  let at = body.firstElementChild;
  for (const project of projects) {
    let row = rows.get(project.name);
    if (!row) {
      row = h('tr', { 'data-project': project.name }, cells(project).map(() => h('td', {})));
      rows.set(project.name, row);
    }
    cells(project).forEach(([key, attributes, content], index) => {
      const cell = row.children[index];
      if (cell.dataset.key === String(key ?? '')) return;
      cell.dataset.key = String(key ?? '');
      cell.className = attributes.class || '';
      show(cell, content());
    });
    if (row !== at) body.insertBefore(row, at);
    else at = at.nextElementSibling;
  }
}

/** Each cell of a project's row: what it shows (compared between answers), its attributes, how to draw it. */
function cells(project) {
  const generations = `${project.observedGeneration} / ${project.generation}`;
  const failures = (project.failures || []).join('\n');
  return [
    [project.name, {}, () => h('a', { href: `#/projects/${encodeURIComponent(project.name)}` }, project.name)],
    [project.phase, {}, () => phaseBadge(project.phase)],
    [desired(project.desiredState), {}, () => desired(project.desiredState)],
    [generations, { class: project.observedGeneration === project.generation ? 'num' : 'num behind' }, () => generations],
    [project.runtime, {}, () => project.runtime],
    [project.owner, { class: 'address' }, () => project.owner],
    [time(project.updatedAt), {}, () => time(project.updatedAt)],
    [failures, { class: 'failures' }, () => failures],
  ];
}

export function desired(state) {
  return ({ DESIRED_STATE_DEPLOYED: 'deployed', DESIRED_STATE_UNDEPLOYED: 'undeployed' })[state] || 'unspecified';
}
