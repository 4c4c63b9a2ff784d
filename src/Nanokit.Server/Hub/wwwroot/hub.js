// The Hub's shell: the token form and a hash router (#/projects, #/projects/NAME, #/cluster). Each page gets the
// main element and an AbortSignal that fires when the operator leaves it, which ends its requests and streams.
import { token } from './api.js';
import { failure, show } from './dom.js';
import { renderProjects } from './pages/projects.js';
import { renderProject } from './pages/project.js';
import { renderCluster } from './pages/cluster.js';

const main = document.getElementById('main');
let leave = new AbortController();

function route() {
  const hash = location.hash || '#/projects';
  const project = /^#\/projects\/(.+)$/.exec(hash);
  if (project) return { page: 'projects', render: (signal) => renderProject(main, decodeURIComponent(project[1]), signal) };
  if (hash === '#/cluster') return { page: 'cluster', render: (signal) => renderCluster(main, signal) };
  return { page: 'projects', render: (signal) => renderProjects(main, signal) };
}

function render() {
  leave.abort();
  leave = new AbortController();
  const { page, render: draw } = route();
  for (const link of document.querySelectorAll('nav a')) {
    if (link.dataset.page === page) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  const signal = leave.signal;
  draw(signal).catch((error) => {
    if (!signal.aborted) show(main, failure(error));
  });
}

function showTokenState() {
  show(document.getElementById('token-state'), token.get() ? 'token set for this tab' : 'no token');
}

document.getElementById('token-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const input = document.getElementById('token');
  if (input.value.trim()) token.set(input.value.trim());
  input.value = '';
  showTokenState();
  render();
});
document.getElementById('forget-token').addEventListener('click', () => {
  token.clear();
  showTokenState();
  render();
});
window.addEventListener('hashchange', render);
showTokenState();
render();
