// Builds elements from text only: what the API returns (names, messages, plans) is never parsed as markup.

/** h('td', {class: 'x'}, 'text', child, [more children]) */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(element, child);
    else element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces an element's children. */
export function show(element, ...children) {
  element.replaceChildren();
  append(element, children);
}

/** An RFC 3339 time as the API sent it, to the second, for reading: 2026-12-02 08:12:34Z. */
export function time(value) {
  if (!value) return '';
  const match = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)/.exec(value);
  return match ? `${match[1]} ${match[2]}Z` : value;
}

export function table(headings, rows, attributes = {}) {
  return h('table', attributes,
    h('thead', {}, h('tr', {}, headings.map((heading) => h('th', { scope: 'col' }, heading)))),
    h('tbody', {}, rows));
}

export function phaseBadge(phase) {
  return h('span', { class: `phase phase-${String(phase || 'unknown').toLowerCase()}` }, phase || 'unknown');
}

/**
 * How a failed call is shown: UNAUTHENTICATED says what to do about it; a message of several lines (an invalid spec:
 * one located error per line, file:line:col) is a list, every error shown.
 */
export function failure(error) {
  if (error.unauthenticated) {
    return h('div', { class: 'error unauthenticated', role: 'alert' },
      h('strong', {}, 'UNAUTHENTICATED'),
      ': this server needs a bearer token with the read role. Enter it above. ',
      h('span', { class: 'detail' }, `(${error.message})`));
  }
  const lines = String(error.message).split('\n').filter((line) => line.trim());
  return lines.length > 1
    ? h('div', { class: 'error', role: 'alert' }, h('strong', {}, error.status || 'Error'), ':', h('ul', { class: 'error-lines' }, lines.map((line) => h('li', {}, line))))
    : h('div', { class: 'error', role: 'alert' }, h('strong', {}, error.status || 'Error'), ': ', error.message);
}
