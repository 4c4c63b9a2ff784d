// Plan, then Apply, of files the operator picks or drops, sent as ApplyProject takes them: the base file first
// (nanokit.yml, compose.yaml, docker-compose.yml; else the first file added), then the overrides in the order they were
// added, and one .env file as env_file. Adding a file of a name already there replaces it (an edited file picked again).
// Apply sends exactly the files that were planned and is offered only to a write token; the server checks the role on
// every call anyway. Used on the Projects page (a new project) and on a project's page (its next generation).
import { api, sourceFiles } from '../api.js';
import { failure, h, show, time } from '../dom.js';

const baseNames = /^(nanokit|compose|docker-compose)\.ya?ml$/;
const isEnv = (file) => file.name === '.env' || file.name.endsWith('.env');

/**
 * The form. project: the project's name (its page) or null (a new project: the name comes from the file's `name:` or
 * the form's field). refused: why Apply is disabled (a token without the write role), or null. onAccepted(answer) gets
 * ApplyProject's answer {project, generation, revision}.
 */
export function applyForm({ project, refused, onAccepted, signal }) {
  let picked = [];
  const list = h('ul', { id: 'picked-files', class: 'picked' });
  const input = h('input', { type: 'file', id: 'plan-files', multiple: true, 'aria-label': 'Files: nanokit.yml or compose.yaml, overrides, .env' });
  const drop = h('div', { id: 'apply-drop', class: 'drop' }, 'Drop files here, or pick them: ', input);
  const name = project === null ? h('input', { type: 'text', id: 'apply-name', autocomplete: 'off', spellcheck: 'false', placeholder: 'from the file\'s name:' }) : null;
  const environment = h('input', { type: 'text', id: 'apply-environment', autocomplete: 'off', spellcheck: 'false', placeholder: 'none' });
  const profiles = h('input', { type: 'text', id: 'apply-profiles', autocomplete: 'off', spellcheck: 'false', placeholder: 'none (comma-separated)' });
  const result = h('div', { id: 'plan' });

  const add = (files) => {
    for (const file of files) {
      const at = picked.findIndex((other) => other.name === file.name);
      picked = at < 0 ? [...picked, file] : picked.with(at, file);
    }
    const draw = ordered(picked);
    show(list, draw.base ? h('li', {}, h('span', { class: 'role' }, 'base'), ' ', draw.base.name, remove(draw.base)) : null,
      draw.overrides.map((file, index) => h('li', {}, h('span', { class: 'role' }, `override ${index + 1}`), ' ', file.name, remove(file))),
      draw.env ? h('li', {}, h('span', { class: 'role' }, 'env file'), ' ', draw.env.name, remove(draw.env)) : null);
  };
  const remove = (file) => h('button', { type: 'button', class: 'remove', title: `Remove ${file.name}`, onclick: () => { picked = picked.filter((other) => other !== file); add([]); } }, '×');
  input.addEventListener('change', () => { add(input.files); input.value = ''; });
  drop.addEventListener('dragover', (event) => { event.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (event) => {
    event.preventDefault();
    drop.classList.remove('over');
    add(event.dataTransfer.files);
  });

  const plan = async () => {
    const { base, overrides, env, envFiles } = ordered(picked);
    if (!base) {
      show(result, h('p', { class: 'error' }, 'Add the files to plan first (nanokit.yml or compose.yaml, then any overrides and .env).'));
      return;
    }
    if (envFiles > 1) {
      show(result, h('p', { class: 'error' }, 'Only one .env file is read: remove the others.'));
      return;
    }
    show(result, h('p', { class: 'muted' }, 'Planning…'));
    try {
      // Read once: Apply sends exactly the files that were planned, even if the list changes meanwhile.
      const source = {
        files: await sourceFiles([base, ...overrides]),
        envFile: env ? (await sourceFiles([env]))[0] : undefined,
        environment: environment.value.trim(),
        profiles: profiles.value.split(',').map((p) => p.trim()).filter((p) => p),
        projectName: project ?? name.value.trim(),
      };
      const answer = await api.planProject(source, signal);
      const applied = h('div', { id: 'apply-result' });
      const apply = async (event) => {
        event.target.disabled = true;
        show(applied, h('p', { class: 'muted' }, 'Applying…'));
        try {
          const accepted = await api.applyProject(source, signal);
          show(applied);
          onAccepted(accepted);
        } catch (error) {
          show(applied, failure(error));
          event.target.disabled = false;
        }
      };
      show(result,
        h('p', {}, `Project ${answer.project}: `, answer.observedAt
          ? `against the state ${answer.observedBy} observed at ${time(answer.observedAt)} (runtime: ${answer.runtime}).`
          : `against nothing: the project was never observed (runtime: ${answer.runtime}).`),
        h('pre', { id: 'plan-text' }, answer.text),
        h('div', { class: 'toolbar' }, h('button', { type: 'button', id: 'apply-project', disabled: refused !== null, title: refused, onclick: apply }, 'Apply these files')),
        applied);
    } catch (error) {
      show(result, failure(error));
    }
  };

  return h('div', { class: 'apply-form' },
    drop, list,
    h('div', { class: 'toolbar' },
      name ? h('label', {}, 'Project name ', name) : null,
      h('label', {}, 'Environment ', environment),
      h('label', {}, 'Profiles ', profiles),
      h('button', { type: 'button', id: 'plan-project', onclick: plan }, 'Plan')),
    result);
}

/** The files in the order ApplyProject reads them: the base, the overrides as added, the .env file. */
function ordered(files) {
  const yaml = files.filter((file) => !isEnv(file));
  const base = yaml.find((file) => baseNames.test(file.name)) || yaml[0];
  const envs = files.filter(isEnv);
  return { base, overrides: yaml.filter((file) => file !== base), env: envs[0], envFiles: envs.length };
}
