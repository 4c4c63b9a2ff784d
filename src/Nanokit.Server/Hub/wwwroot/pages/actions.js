// A project's actions: Check drift and Plan for any token; Apply (the planned files, as planned) and Delete for a token
// with the write role only. A read token sees those disabled with the reason, and the server refuses them anyway.
// After an apply or a delete the section shows the accepted generation and follows it as the page re-reads the project.
import { api } from '../api.js';
import { failure, h, show, time } from '../dom.js';
import { applyForm } from './apply.js';

// An apply made on the Projects page, handed to the new project's page so that it follows it (by project name).
const handedOver = new Map();

/** Makes the page of answer.project follow this accepted apply when it is opened. */
export function handOver(answer) {
  handedOver.set(answer.project, answer);
}

/** Draws the actions of project NAME into section; returns update(project), called with each project read. */
export function drawActions(section, name, role, signal) {
  const writer = role === 'write' || role === 'admin';
  const refused = writer ? null : `Apply and delete need a token with the write role; this token has the ${role} role.`;
  const driftResult = h('div', { id: 'drift' });
  const deletion = h('div', { id: 'delete' });
  const accepted = h('div', { id: 'accepted' });
  let following = null;
  let last = null;

  const update = (project) => {
    last = project;
    if (!following) return;
    const { verb, generation, revision } = following;
    const live = Number(project.observedGeneration) >= generation;
    show(accepted,
      h('p', {}, h('strong', {}, `Generation ${generation} accepted`), ` (${verb}, revision ${revision}). `,
        h('span', { id: 'accepted-state' }, Number(project.generation) > generation
          ? `Superseded by generation ${project.generation}.`
          : live ? `Observed: ${project.phase}.` : `The owner is at generation ${project.observedGeneration} (${project.phase}).`)));
  };
  const accept = (verb, answer) => {
    following = { verb, generation: Number(answer.generation), revision: answer.revision };
    if (last) update(last);
  };

  const check = async () => {
    show(driftResult, h('p', { class: 'muted' }, 'Checking…'));
    try {
      const drift = await api.checkDrift(name, signal);
      show(driftResult,
        h('p', {}, h('strong', { id: 'drifted' }, drift.drifted ? 'Drifted' : 'No drift'),
          ` against generation ${drift.generation}, as ${drift.observedBy} observed it at ${time(drift.observedAt)}.`),
        h('pre', { id: 'drift-plan' }, drift.plan));
    } catch (error) {
      show(driftResult, failure(error));
    }
  };
  const confirmDelete = () => {
    const typed = h('input', { type: 'text', id: 'delete-confirm', autocomplete: 'off', spellcheck: 'false', 'aria-label': 'Project name' });
    const go = h('button', { type: 'button', id: 'delete-confirmed', class: 'danger', disabled: true }, 'Delete this project');
    const result = h('div', {});
    typed.addEventListener('input', () => { go.disabled = typed.value !== name; });
    go.addEventListener('click', async () => {
      go.disabled = true;
      try {
        accept('delete', await api.deleteProject(name, signal));
        show(deletion);
      } catch (error) {
        show(result, failure(error));
        go.disabled = typed.value !== name;
      }
    });
    show(deletion,
      h('p', {}, 'Deleting stops and removes every replica of ', h('strong', {}, name), '. Type the project\'s name to confirm.'),
      h('div', { class: 'toolbar' }, typed, go, h('button', { type: 'button', onclick: () => show(deletion) }, 'Cancel')),
      result);
    typed.focus();
  };

  show(section,
    h('h2', {}, 'Actions'),
    h('div', { class: 'toolbar' },
      h('button', { type: 'button', id: 'check-drift', onclick: check }, 'Check drift'),
      h('button', { type: 'button', id: 'delete-project', class: 'danger', disabled: !writer, title: refused, onclick: confirmDelete }, 'Delete…')),
    refused ? h('p', { id: 'write-refused', class: 'muted' }, refused) : null,
    deletion, accepted, driftResult,
    h('h3', {}, 'Plan and apply files'),
    applyForm({ project: name, refused, onAccepted: (answer) => accept('apply', answer), signal }));
  if (handedOver.has(name)) {
    accept('apply', handedOver.get(name));
    handedOver.delete(name);
  }
  return update;
}
