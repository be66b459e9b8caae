// Health: the parts /health reports (with their details for the admin token) and the key figures of /metrics:
// calls, first-audio and barge-in percentiles, AGI latency, recording jobs by state. Metrics are this node's.

import { raw, text } from './api.js';
import { formatNumber } from './chart.js';
import { el, errorText, notice, session, table } from './ui.js';

/** Prometheus text exposition -> [{name, labels: {...}, value}]. */
function parse(exposition) {
  const out = [];
  for (const line of exposition.split('\n')) {
    if (!line || line.startsWith('#')) {
      continue;
    }
    const m = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/);
    if (!m) {
      continue;
    }
    const labels = {};
    for (const l of (m[3] || '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[l[1]] = l[2];
    }
    out.push({ name: m[1], labels, value: Number(m[4]) });
  }
  return out;
}

function sum(samples, name, match = {}) {
  return samples.filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v))
    .reduce((a, s) => a + (isNaN(s.value) ? 0 : s.value), 0);
}

function ms(seconds) {
  return isNaN(seconds) ? '–' : Math.round(seconds * 1000) + ' ms';
}

function card(label, value, id) {
  return el('div', { class: 'card' }, el('div', { class: 'label', id }, label),
    el('div', { class: 'value', 'aria-labelledby': id }, value));
}

export async function render(main) {
  main.append(el('h1', {}, 'Health'));
  const partsBox = el('section', { 'aria-labelledby': 'parts-title' }, el('h2', { id: 'parts-title' }, 'Parts'));
  const metricsBox = el('section', { 'aria-labelledby': 'metrics-title' }, el('h2', { id: 'metrics-title' }, 'Key metrics (this node)'));
  main.append(partsBox, metricsBox);

  async function load() {
    try {
      const res = await raw('/health');
      const body = await res.json();
      partsBox.replaceChildren(partsBox.firstChild,
        el('p', {}, 'Service: ', el('span', { class: 'state ' + body.status, id: 'service-state' }, body.status)),
        table('Parts of this node', session.admin ? ['Part', 'State', 'Detail'] : ['Part', 'State'],
          Object.entries(body.parts).map(([name, p]) => [name, el('span', { class: 'state ' + p.state }, p.state),
            ...(session.admin ? [p.detail || ''] : [])])));
    } catch (e) {
      partsBox.replaceChildren(partsBox.firstChild, notice(errorText(e)));
    }
    if (!session.admin) {
      metricsBox.replaceChildren(metricsBox.firstChild, el('p', { class: 'empty' },
        'The metrics cover every tenant: they are shown with the admin token.'));
      return;
    }
    try {
      const s = parse(await text('/metrics'));
      const q = (name, quantile) => {
        const found = s.find((x) => x.name === name && x.labels.quantile === quantile);
        return found ? found.value : NaN;
      };
      const agiCount = sum(s, 'asterline_agi_request_seconds_count');
      const agiSum = sum(s, 'asterline_agi_request_seconds_sum');
      const agiMax = Math.max(0, ...s.filter((x) => x.name === 'asterline_agi_request_seconds_max').map((x) => x.value));
      const outcomes = s.filter((x) => x.name === 'asterline_calls_ended_total');
      const scripts = [...new Set(s.filter((x) => x.name === 'asterline_agi_request_seconds_count').map((x) => x.labels.script))].sort();
      const states = ['pending', 'running', 'done', 'failed'];
      metricsBox.replaceChildren(metricsBox.firstChild,
        el('div', { class: 'cards' },
          card('Calls in progress on this node', formatNumber(sum(s, 'asterline_calls_active')), 'm-active'),
          card('Calls ended', formatNumber(outcomes.reduce((a, x) => a + x.value, 0)), 'm-ended'),
          card('First audio p50 / p99', ms(q('asterline_agent_first_audio_seconds', '0.5')) + ' / '
            + ms(q('asterline_agent_first_audio_seconds', '0.99')), 'm-first'),
          card('Barge-in stop p50 / p99', ms(q('asterline_agent_barge_in_stop_seconds', '0.5')) + ' / '
            + ms(q('asterline_agent_barge_in_stop_seconds', '0.99')), 'm-barge'),
          card('AGI latency mean / max', (agiCount ? ms(agiSum / agiCount) : '–') + ' / ' + ms(agiMax), 'm-agi'),
          ...states.map((st) => card('Recording jobs ' + st, formatNumber(sum(s, 'asterline_recording_jobs', { state: st })), 'm-rec-' + st))),
        table('Calls ended by direction and outcome', ['Direction', 'Outcome', 'Calls'],
          outcomes.map((x) => [x.labels.direction || '', x.labels.outcome || '', formatNumber(x.value)]), 'No call has ended on this node yet.'),
        table('AGI requests by script', ['Script', 'Requests', 'Mean'],
          scripts.map((sc) => {
            const n = sum(s, 'asterline_agi_request_seconds_count', { script: sc });
            return [sc, formatNumber(n), n ? ms(sum(s, 'asterline_agi_request_seconds_sum', { script: sc }) / n) : '–'];
          }), 'No AGI request yet.'));
    } catch (e) {
      metricsBox.replaceChildren(metricsBox.firstChild, notice(errorText(e)));
    }
  }
  await load();
  const timer = setInterval(load, 10000);
  return () => clearInterval(timer);
}
