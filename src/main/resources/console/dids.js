// DIDs: the pools (segments, summed over all their numbers by the server) with their numbers' status, trunk, daily cap, cooldown and usage; calls per segment
// and day as a chart; moving numbers between segments (PUT /api/asterisk-dids/{id}); importing a CSV, one number
// at a time through POST /api/asterisk-dids, with a progress bar.

import { api, ApiError } from './api.js';
import { lineChart } from './chart.js';
import { el, errorText, notice, session, table, time } from './ui.js';

const NUMBER_COLUMNS = ['number', 'phone_number', 'phone', 'did', 'did_number', 'e164', 'msisdn'];
const MAX_LIST = 500;

export async function render(main) {
  main.append(el('h1', {}, 'DIDs'));
  const tenantPick = session.admin
    ? el('select', { id: 'did-tenant' }, el('option', { value: '' }, 'all tenants'),
      session.tenants.map((t) => el('option', { value: t.id }, t.name + ' (#' + t.id + ')')))
    : null;
  const pools = el('section', { 'aria-labelledby': 'pools-title' }, el('h2', { id: 'pools-title' }, 'Pools by segment'));
  const usage = el('section', { 'aria-labelledby': 'usage-title' }, el('h2', { id: 'usage-title' }, 'Calls per segment and day'));
  const numbers = el('section', { 'aria-labelledby': 'numbers-title' }, el('h2', { id: 'numbers-title' }, 'Numbers'));
  const importer = el('section', { 'aria-labelledby': 'import-title' }, el('h2', { id: 'import-title' }, 'Import a CSV'));
  if (tenantPick) {
    main.append(el('form', { class: 'filters', 'aria-label': 'Tenant' }, el('label', {}, 'Tenant', tenantPick)));
    tenantPick.addEventListener('change', load);
  }
  main.append(pools, usage, numbers, importer);
  importForm(importer, () => (tenantPick && tenantPick.value) || null, load);

  async function load() {
    const tenant = tenantPick && tenantPick.value ? '&tenantId=' + tenantPick.value : '';
    for (const box of [pools, usage, numbers]) {
      box.replaceChildren(box.firstChild, el('p', { role: 'status' }, 'Loading…'));
    }
    try {
      const [summary, list, use] = await Promise.all([
        api('/api/asterisk-dids/segments/summary?' + tenant.slice(1)),
        api('/api/asterisk-dids?pageSize=' + MAX_LIST + tenant),
        api('/api/asterisk-dids/segments/usage?days=14' + tenant)]);
      drawPools(pools, summary.segments);
      drawUsage(usage, use.usage, use.days);
      drawNumbers(numbers, list, load);
    } catch (e) {
      pools.replaceChildren(pools.firstChild, notice(errorText(e)));
    }
  }
  await load();
}

function drawPools(box, segments) {
  const list = (values, unit) => values.map((v) => (v === null ? 'default' : v + (unit || ''))).join(', ');
  const rows = segments.map((s) => [s.segment, String(s.dids),
    Object.entries(s.statuses).map(([k, v]) => k + ' ' + v).join(', '), s.trunks.join(', '),
    list(s.dailyCaps), list(s.cooldownSeconds, ' s'), String(s.usesToday), String(s.usageCount)]);
  box.replaceChildren(box.firstChild, table('Segments', ['Segment', 'DIDs', 'Status', 'Trunk', 'Daily cap',
    'Cooldown', 'Uses today', 'Uses in all'], rows, 'No numbers yet: import a CSV below.'));
}

function drawUsage(box, usage, days) {
  const labels = [];
  const today = new Date();
  for (let i = days - 1; i >= 0; i--) {
    labels.push(new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() - i)).toISOString().slice(0, 10));
  }
  const segments = [...new Set(usage.map((u) => u.segment))].sort();
  if (!segments.length) {
    box.replaceChildren(box.firstChild, el('p', { class: 'empty' }, 'No calls through these numbers in the last ' + days + ' days.'));
    return;
  }
  const series = segments.map((s) => ({ name: s, values: labels.map((d) => {
    const u = usage.find((x) => x.segment === s && x.day === d);
    return u ? u.calls : 0;
  }) }));
  box.replaceChildren(box.firstChild, lineChart('Calls per segment and day, last ' + days + ' days', labels, series),
    el('details', {}, el('summary', {}, 'The numbers as a table'),
      table('Calls per segment and day', ['Day', ...segments], labels.map((d, i) => [d, ...series.map((s) => String(s.values[i]))]))));
}

function drawNumbers(box, list, reload) {
  const checks = [];
  const rows = list.dids.map((d) => {
    const check = el('input', { type: 'checkbox', value: d.id, 'aria-label': 'Select ' + d.number });
    checks.push(check);
    return [el('span', {}, check, ' ', d.number), d.segment, d.status, d.trunk,
      d.dailyCap === null ? 'default' : String(d.dailyCap), d.cooldownSeconds === null ? 'default' : d.cooldownSeconds + ' s',
      String(d.usesToday), String(d.usageCount), time(d.lastUsedAt)];
  });
  const target = el('input', { type: 'text', id: 'move-to', pattern: '[A-Za-z0-9][A-Za-z0-9._\\-]{0,63}', required: true, placeholder: 'twilio-main' });
  const result = el('div', { 'aria-live': 'polite' });
  const move = el('form', { class: 'filters', 'aria-label': 'Move selected numbers' },
    el('label', {}, 'Move the selected numbers to segment', target),
    el('button', { type: 'submit' }, 'Move'), result);
  move.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const chosen = checks.filter((c) => c.checked).map((c) => c.value);
    if (!chosen.length) {
      result.replaceChildren(notice('Select at least one number first.'));
      return;
    }
    let done = 0;
    const failed = [];
    for (const id of chosen) {
      try {
        await api('/api/asterisk-dids/' + id, { method: 'PUT', body: { segment: target.value.trim() } });
        done++;
      } catch (e) {
        failed.push(errorText(e));
      }
    }
    await reload();
    numbersStatus(done, failed);
  });
  function numbersStatus(done, failed) {
    const box2 = document.getElementById('numbers-title').parentElement;
    box2.append(notice(done + ' moved' + (failed.length ? '; ' + failed.length + ' not: ' + failed.join('; ') : '.'),
      failed.length ? 'error' : 'info'));
  }
  box.replaceChildren(box.firstChild,
    list.total > list.dids.length ? el('p', { class: 'help' }, 'Showing ' + list.dids.length + ' of ' + list.total + ' numbers.') : '',
    table('Numbers', ['Number', 'Segment', 'Status', 'Trunk', 'Daily cap', 'Cooldown', 'Uses today', 'Uses in all', 'Last used'],
      rows, 'No numbers.'),
    rows.length ? move : '');
}

/** A CSV as `asterline dids import csv` reads it: a header naming the number column, optional status. */
function parseCsv(text) {
  text = text.replace(/^\uFEFF/, '');
  const first = text.split(/\r?\n/, 1)[0];
  const delimiter = [',', ';', '\t'].map((d) => [d, first.split(d).length]).sort((a, b) => b[1] - a[1])[0][0];
  const rows = [];
  let row = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') {
        quoted = false;
      } else {
        field += ch;
      }
    } else if (ch === '"') {
      quoted = true;
    } else if (ch === delimiter) {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') {
        i++;
      }
      row.push(field);
      field = '';
      if (row.some((f) => f.trim())) {
        rows.push(row);
      }
      row = [];
    } else {
      field += ch;
    }
  }
  row.push(field);
  if (row.some((f) => f.trim())) {
    rows.push(row);
  }
  return rows;
}

function importForm(box, tenant, reload) {
  const file = el('input', { type: 'file', id: 'csv-file', accept: '.csv,text/csv', required: true });
  const segment = el('input', { type: 'text', id: 'csv-segment', value: 'default', required: true, pattern: '[A-Za-z0-9][A-Za-z0-9._\\-]{0,63}' });
  const trunk = el('input', { type: 'text', id: 'csv-trunk', required: true, placeholder: 'TWILIO', pattern: '[A-Za-z0-9][A-Za-z0-9._\\-]{0,63}' });
  const progress = el('progress', { max: 1, value: 0, 'aria-label': 'Import progress', hidden: true });
  const status = el('p', { role: 'status', 'aria-live': 'polite' });
  const form = el('form', { class: 'filters', 'aria-label': 'Import numbers from a CSV file' },
    el('label', {}, 'CSV file (a header row naming the number column)', file),
    el('label', {}, 'Segment', segment), el('label', {}, 'Trunk', trunk),
    el('button', { type: 'submit' }, 'Import'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (session.admin && !tenant()) {
      status.replaceChildren(notice('Choose the tenant the numbers belong to (above) first.'));
      return;
    }
    const rows = parseCsv(await file.files[0].text());
    const header = (rows.shift() || []).map((h) => h.trim().toLowerCase().replace(/[\s-]+/g, '_'));
    const at = header.findIndex((h) => NUMBER_COLUMNS.includes(h));
    const statusAt = header.indexOf('status');
    if (at < 0) {
      status.replaceChildren(notice('The header names no number column (one of ' + NUMBER_COLUMNS.join(', ') + '); it has ' + header.join(', ')));
      return;
    }
    progress.hidden = false;
    progress.max = Math.max(1, rows.length);
    progress.value = 0;
    let created = 0;
    let existing = 0;
    const problems = [];
    for (let i = 0; i < rows.length; i++) {
      const body = { number: (rows[i][at] || '').trim(), segment: segment.value.trim(), trunk: trunk.value.trim() };
      if (statusAt >= 0 && (rows[i][statusAt] || '').trim()) {
        body.status = rows[i][statusAt].trim().toLowerCase();
      }
      if (tenant()) {
        body.tenantId = Number(tenant());
      }
      try {
        await api('/api/asterisk-dids', { method: 'POST', body });
        created++;
      } catch (e) {
        if (e instanceof ApiError && e.status === 409) {
          existing++;
        } else {
          problems.push('line ' + (i + 2) + ': ' + e.message);
        }
      }
      progress.value = i + 1;
      status.textContent = 'Imported ' + (i + 1) + ' of ' + rows.length + ' rows…';
    }
    status.replaceChildren(notice(created + ' created, ' + existing + ' already there, ' + problems.length + ' refused'
      + (problems.length ? ': ' + problems.slice(0, 10).join('; ') : '.'), problems.length ? 'error' : 'info'));
    await reload();
  });
  box.append(form, progress, status);
}
