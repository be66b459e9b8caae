// A small SVG line chart (one x column, one or more numeric series): what the reports and DID usage need, and
// no more. The same numbers are always shown as a table next to it, for screen readers and for exact values.

import { el, svg } from './ui.js';

const COLOURS = ['#0a58ca', '#cf222e', '#1a7f37', '#bc4c00', '#8250df', '#1b7c83'];
const W = 900;
const H = 300;
const PAD = { left: 56, right: 16, top: 16, bottom: 48 };

/**
 * labels: the x values (strings); series: [{name, values: [number|null]}]. Returns a figure with the chart and
 * its legend, described for assistive technology by `title`.
 */
export function lineChart(title, labels, series) {
  const max = Math.max(1, ...series.flatMap((s) => s.values.filter((v) => v !== null && !isNaN(v))));
  const n = labels.length;
  const x = (i) => PAD.left + (n <= 1 ? (W - PAD.left - PAD.right) / 2 : i * (W - PAD.left - PAD.right) / (n - 1));
  const y = (v) => H - PAD.bottom - (v / max) * (H - PAD.top - PAD.bottom);
  const chart = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-label': title });
  chart.append(svg('title', {}, title));
  // the value axis: 0, half, max
  for (const v of [0, max / 2, max]) {
    chart.append(svg('line', { x1: PAD.left, x2: W - PAD.right, y1: y(v), y2: y(v), stroke: '#d0d7de' }));
    chart.append(svg('text', { x: PAD.left - 6, y: y(v) + 4, 'text-anchor': 'end', 'font-size': 12, fill: '#57606a' },
      formatNumber(v)));
  }
  // at most ~10 x labels, so they stay readable
  const step = Math.max(1, Math.ceil(n / 10));
  labels.forEach((label, i) => {
    const last = i === n - 1;
    // the last label always shows (anchored at its end, inside the chart); one step label too close to it gives way
    if ((i % step === 0 && (last || n - 1 - i >= step)) || last) {
      chart.append(svg('text', { x: x(i), y: H - PAD.bottom + 18, 'text-anchor': last && n > 1 ? 'end' : 'middle',
        'font-size': 12, fill: '#57606a' }, shortLabel(label)));
    }
  });
  series.forEach((s, k) => {
    const colour = COLOURS[k % COLOURS.length];
    const points = s.values.map((v, i) => (v === null || isNaN(v) ? null : [x(i), y(v)])).filter(Boolean);
    if (points.length > 1) {
      chart.append(svg('polyline', { points: points.map((p) => p.join(',')).join(' '), fill: 'none',
        stroke: colour, 'stroke-width': 2 }));
    }
    for (const p of points) {
      chart.append(svg('circle', { cx: p[0], cy: p[1], r: 3, fill: colour }));
    }
  });
  const legend = el('ul', { class: 'legend', 'aria-label': 'Legend' }, series.map((s, k) => el('li', {},
    swatch(COLOURS[k % COLOURS.length]), s.name)));
  return el('figure', { class: 'figure' }, chart, legend);
}

function swatch(colour) {
  const s = el('span', { class: 'swatch', 'aria-hidden': 'true' });
  s.style.background = colour;
  return s;
}

function shortLabel(label) {
  const s = String(label);
  // ISO times: the date and the hour are enough under a chart
  const m = s.match(/^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})/);
  if (m) {
    return m[1].slice(5) + ' ' + m[2];
  }
  return s.length > 16 ? s.slice(0, 15) + '…' : s;
}

export function formatNumber(v) {
  if (v === null || v === undefined || v === '') {
    return '';
  }
  const n = Number(v);
  if (isNaN(n)) {
    return String(v);
  }
  return Number.isInteger(n) ? n.toLocaleString() : n.toLocaleString(undefined, { maximumFractionDigits: 2 });
}
