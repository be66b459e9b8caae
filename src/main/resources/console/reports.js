// Reports: every report of `asterline report list` (GET /api/reports) with its parameters; run as JSON for the
// table and the chart its header declares, downloaded as CSV (fetched with the token, saved from the page).

import { api, download, text } from './api.js';
import { formatNumber, lineChart } from './chart.js';
import { el, errorText, notice, session, table } from './ui.js';

const HELP = {
  tenant: 'a tenant id',
  from: 'start, inclusive (default: 7 days before "to")',
  to: 'end; a date includes that whole day (default: now)',
  segment: 'a DID segment, e.g. twilio-main',
};

export async function render(main, args) {
  main.append(el('h1', {}, 'Reports'));
  const list = (await api('/api/reports')).reports.filter((r) => !r.problem);
  if (!list.length) {
    main.append(el('p', { class: 'empty' }, 'No reports available to this token.'));
    return;
  }
  const pick = el('select', { id: 'report-name' }, list.map((r) => el('option', { value: r.name, selected: r.name === args[0] }, r.title)));
  const description = el('p', { class: 'help', id: 'report-description' });
  const paramsBox = el('div', { class: 'row' });
  const out = el('section', { 'aria-live': 'polite', 'aria-label': 'Report result' });
  const run = el('button', { type: 'submit' }, 'Run');
  const csv = el('button', { type: 'button', class: 'secondary' }, 'Download CSV');
  const form = el('form', { class: 'filters', 'aria-label': 'Report and parameters' },
    el('label', {}, 'Report', pick), paramsBox, run, csv);
  main.append(form, description, out);
  let inputs = {};

  function current() {
    return list.find((r) => r.name === pick.value);
  }
  function showParams() {
    const r = current();
    description.textContent = r.description + (r.allTenants ? ' (all tenants)' : '');
    inputs = {};
    paramsBox.replaceChildren();
    for (const p of r.params) {
      if (p === 'tenant' && !session.admin) {
        continue; // a tenant token always runs on its own data
      }
      let input;
      if (p === 'tenant') {
        input = el('select', { name: p }, el('option', { value: '' }, 'all tenants'),
          session.tenants.map((t) => el('option', { value: t.id }, t.name + ' (#' + t.id + ')')));
      } else {
        input = el('input', { name: p, type: p === 'from' || p === 'to' ? 'date' : 'text', title: HELP[p] || p });
      }
      inputs[p] = input;
      paramsBox.append(el('label', {}, p[0].toUpperCase() + p.slice(1), input));
    }
  }
  function query(format) {
    const q = new URLSearchParams();
    for (const [k, input] of Object.entries(inputs)) {
      if (input.value.trim()) {
        q.set(k, input.value.trim());
      }
    }
    q.set('format', format);
    return '/api/reports/' + encodeURIComponent(pick.value) + '?' + q.toString();
  }
  pick.addEventListener('change', () => {
    showParams();
    out.replaceChildren();
  });
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const r = current();
    out.replaceChildren(el('p', { role: 'status' }, 'Running…'));
    try {
      const rows = await api(query('json'));
      const columns = rows.length ? Object.keys(rows[0]) : [];
      const parts = [el('h2', {}, r.title)];
      if (r.chart && rows.length) {
        parts.push(lineChart(r.title, rows.map((row) => row[r.chart.x]),
          r.chart.ys.map((y) => ({ name: y, values: rows.map((row) => (row[y] === null ? null : Number(row[y]))) }))));
      }
      parts.push(table(r.title + ': ' + rows.length + (rows.length === 1 ? ' row' : ' rows'), columns,
        rows.map((row) => columns.map((c) => (typeof row[c] === 'number' ? formatNumber(row[c]) : row[c] === null ? '' : String(row[c])))),
        'The report has no rows for these parameters.'));
      out.replaceChildren(...parts);
    } catch (e) {
      out.replaceChildren(notice(errorText(e)));
    }
  });
  csv.addEventListener('click', async () => {
    try {
      download(pick.value + '.csv', await text(query('csv')), 'text/csv');
    } catch (e) {
      out.replaceChildren(notice(errorText(e)));
    }
  });
  showParams();
}
