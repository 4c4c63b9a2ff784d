// Cluster: the members as the answering node's gossip shows them (/cluster/members) and the shards each node hosts
// (/cluster/shards). Both are management endpoints: no token.
import { api } from '../api.js';
import { h, show, table, time } from '../dom.js';

export async function renderCluster(main, signal) {
  show(main, h('h1', {}, 'Cluster'), h('p', { class: 'muted' }, 'Loading…'));
  const [members, shards] = await Promise.all([api.members(signal), api.shards(signal)]);
  show(main,
    h('h1', {}, 'Cluster'),
    h('div', { class: 'toolbar' }, h('button', { type: 'button', onclick: () => renderCluster(main, signal) }, 'Refresh')),
    h('h2', {}, 'Members'),
    h('p', { class: 'muted' }, 'As ', h('span', { class: 'address' }, members.self), ' sees them, oldest first (the oldest hosts the shard coordinator).'),
    table(['Address', 'Status', 'Roles', 'Age rank', 'Started', ''], members.members.map((member) => h('tr', { 'data-member': member.address },
      h('td', { class: 'address' }, member.address),
      h('td', {}, member.status),
      h('td', {}, member.roles.join(', ')),
      h('td', { class: 'num' }, member.ageRank),
      h('td', {}, time(member.startedAt)),
      h('td', {}, [member.address === members.leader ? 'leader' : null, member.address === members.self ? 'this node' : null].filter(Boolean).join(', ')))),
    { id: 'members' }),
    h('h2', {}, 'Shards'),
    table(['Node', 'Shards', 'Projects', 'Failed'], shards.map((region) => h('tr', { 'data-node': region.node },
      h('td', { class: 'address' }, region.node),
      h('td', { class: 'num' }, region.shards),
      h('td', { class: 'num' }, region.projects),
      h('td', { class: 'num' }, region.failed))),
    { id: 'shards' }));
}
