// Projects: ListProjects as the server orders it (failing first, then by name), one page at a time.
import { api } from '../api.js';
import { h, phaseBadge, show, table, time } from '../dom.js';

export async function renderProjects(main, signal, pageToken = '') {
  show(main, h('h1', {}, 'Projects'), h('p', { class: 'muted' }, 'Loading…'));
  const answer = await api.listProjects(pageToken, signal);
  const projects = answer.projects || [];
  const rows = projects.map((project) => h('tr', { 'data-project': project.name },
    h('td', {}, h('a', { href: `#/projects/${encodeURIComponent(project.name)}` }, project.name)),
    h('td', {}, phaseBadge(project.phase)),
    h('td', {}, desired(project.desiredState)),
    h('td', { class: project.observedGeneration === project.generation ? 'num' : 'num behind' },
      `${project.observedGeneration} / ${project.generation}`),
    h('td', {}, project.runtime),
    h('td', { class: 'address' }, project.owner),
    h('td', {}, time(project.updatedAt)),
    h('td', { class: 'failures' }, (project.failures || []).join('\n'))));
  show(main,
    h('h1', {}, 'Projects'),
    h('div', { class: 'toolbar' },
      h('button', { type: 'button', onclick: () => renderProjects(main, signal, pageToken) }, 'Refresh'),
      answer.nextPageToken ? h('button', { type: 'button', onclick: () => renderProjects(main, signal, answer.nextPageToken) }, 'Next page') : null,
      pageToken ? h('button', { type: 'button', onclick: () => renderProjects(main, signal) }, 'First page') : null),
    projects.length === 0
      ? h('p', { class: 'muted' }, 'No project was applied to this cluster yet.')
      : table(['Project', 'Phase', 'Desired', 'Observed / generation', 'Runtime', 'Owner', 'Updated', 'Last error'], rows, { id: 'projects' }));
}

export function desired(state) {
  return ({ DESIRED_STATE_DEPLOYED: 'deployed', DESIRED_STATE_UNDEPLOYED: 'undeployed' })[state] || 'unspecified';
}
