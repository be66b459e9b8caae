// DOM helpers and the signed-in session, shared by the pages.

import { ApiError } from './api.js';

/** Who the token is: { admin: true } or { admin: false, tenantId }. */
export const session = { admin: false, tenantId: null, tenants: [] };

/** el('p', {class: 'x', onclick: f}, 'text', child, ...): builds an element; children may be strings or arrays. */
export function el(tag, attrs, ...children) {
  const e = document.createElementNS(tag === 'svg' || attrs?.svg ? 'http://www.w3.org/2000/svg' : 'http://www.w3.org/1999/xhtml', tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false || k === 'svg') {
      continue;
    }
    if (k.startsWith('on')) {
      e.addEventListener(k.slice(2), v);
    } else if (k === 'text') {
      e.textContent = v;
    } else {
      e.setAttribute(k, v === true ? '' : v);
    }
  }
  for (const c of children.flat(Infinity)) {
    if (c !== undefined && c !== null && c !== false) {
      e.append(c instanceof Node ? c : String(c));
    }
  }
  return e;
}

/** An SVG element (for charts). */
export function svg(tag, attrs, ...children) {
  return el(tag, Object.assign({ svg: true }, attrs), ...children);
}

/** A message people notice: role=alert for errors, role=status for the rest. */
export function notice(message, kind = 'error') {
  return el('p', { class: 'notice ' + kind, role: kind === 'error' ? 'alert' : 'status' }, message);
}

export function errorText(e) {
  if (e instanceof ApiError) {
    return e.message + ' (HTTP ' + e.status + ')';
  }
  return String(e && e.message ? e.message : e);
}

export function time(iso) {
  if (!iso) {
    return '';
  }
  const d = new Date(iso);
  return d.toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' });
}

export function duration(ms) {
  if (ms === null || ms === undefined || isNaN(ms)) {
    return '';
  }
  const s = Math.max(0, Math.round(ms / 1000));
  const m = Math.floor(s / 60);
  return m + ':' + String(s % 60).padStart(2, '0');
}

/** A table with a caption and column headers; rows are arrays of cells (strings or nodes). */
export function table(caption, columns, rows, empty) {
  if (!rows.length) {
    return el('p', { class: 'empty' }, empty || 'Nothing to show.');
  }
  return el('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': caption },
    el('table', {},
      el('caption', {}, caption),
      el('thead', {}, el('tr', {}, columns.map((c) => el('th', { scope: 'col' }, c)))),
      el('tbody', {}, rows.map((r) => el('tr', {}, r.map((c, i) => i === 0
        ? el('th', { scope: 'row' }, c) : el('td', {}, c)))))));
}

