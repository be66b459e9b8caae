// Live: the calls in progress on the whole cluster (PostgreSQL's view, streamed by /api/live-calls/stream), and
// each tenant's admission slots against its limit. Durations tick here every second; the list changes when the
// server says so.

import { stream } from './api.js';
import { duration, el, errorText, notice, session, table } from './ui.js';

export function render(main) {
  const status = el('p', { class: 'conn', role: 'status', 'aria-live': 'polite' }, 'Connecting…');
  const callsBox = el('section', { 'aria-labelledby': 'live-calls-title' },
    el('h2', { id: 'live-calls-title' }, 'Calls in progress'), el('p', { class: 'empty' }, 'Waiting for data…'));
  const admissionBox = el('section', { 'aria-labelledby': 'admission-title' },
    el('h2', { id: 'admission-title' }, 'Admission'));
  main.append(el('h1', {}, 'Live calls'), status, callsBox, admissionBox);

  let snapshot = null;
  let skew = 0; // server clock minus ours, so durations agree with the database's times

  function draw() {
    if (!snapshot) {
      return;
    }
    const now = Date.now() + skew;
    const rows = snapshot.calls.map((c) => [
      el('a', { href: '#/calls/' + c.id, 'data-call-id': c.id,
        title: 'Open the ' + c.direction + ' call with ' + (c.remoteNumber || 'an unknown number') },
        c.direction === 'inbound' ? 'Inbound' : 'Outbound'),
      session.admin ? c.tenant + ' (#' + c.tenantId + ')' : c.tenant,
      c.did || '',
      c.remoteNumber || '',
      el('span', { class: 'state ' + c.state }, c.state),
      el('span', { class: 'duration' }, duration(now - Date.parse(c.createdAt))),
      [c.trunk || '', c.transport ? ' / ' + c.transport : ''].join(''),
      c.lastWords ? el('q', {}, c.lastWords) : '',
    ]);
    callsBox.replaceChildren(callsBox.firstChild, table(
      rows.length + (rows.length === 1 ? ' call' : ' calls') + ' in progress',
      ['Direction', 'Tenant', 'DID', 'Caller / callee', 'State', 'Duration', 'Trunk / transport', 'Agent\'s last words'],
      rows, 'No calls in progress.'));
    const tenants = snapshot.admission.tenants || [];
    admissionBox.replaceChildren(admissionBox.firstChild,
      snapshot.admission.clusterInUse !== undefined
        ? el('p', {}, 'Slots in use on the cluster: ', el('strong', { id: 'cluster-in-use' }, snapshot.admission.clusterInUse))
        : '',
      el('div', { class: 'cards' }, tenants.map((t) => el('div', { class: 'card' },
        el('div', { class: 'label', id: 'adm-' + t.tenantId }, t.tenant),
        el('div', { class: 'value' }, t.inUse + ' / ' + t.limit),
        el('meter', { min: 0, max: Math.max(1, t.limit), value: t.inUse, high: Math.max(1, t.limit) * 0.8,
          'aria-labelledby': 'adm-' + t.tenantId, 'aria-valuetext': t.inUse + ' of ' + t.limit + ' slots' })))));
  }

  const stop = stream('/api/live-calls/stream', (name, data) => {
    if (name !== 'snapshot') {
      return;
    }
    snapshot = JSON.parse(data);
    skew = Date.parse(snapshot.now) - Date.now();
    status.textContent = 'Live: updated ' + new Date().toLocaleTimeString();
    draw();
  }, (state, err) => {
    if (state === 'open') {
      status.textContent = 'Live: connected';
    } else if (state === 'retrying') {
      status.textContent = 'Connection lost; reconnecting…';
    } else if (state === 'refused') {
      status.replaceWith(notice(errorText(err)));
    }
  });
  const ticker = setInterval(() => {
    // only the durations move between snapshots
    if (!snapshot) {
      return;
    }
    const now = Date.now() + skew;
    const cells = main.querySelectorAll('span.duration');
    snapshot.calls.forEach((c, i) => {
      if (cells[i]) {
        cells[i].textContent = duration(now - Date.parse(c.createdAt));
      }
    });
  }, 1000);
  return () => {
    stop();
    clearInterval(ticker);
  };
}
