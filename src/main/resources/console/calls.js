// Calls: search (GET /api/calls) and one call's story (GET /api/calls/{id}/story) with its recording, played in
// the page through a short-lived playback link (POST /api/calls/{id}/recording/link) so the audio element can
// seek with range requests without the token.

import { api, ApiError } from './api.js';
import { duration, el, errorText, notice, session, table, time } from './ui.js';

const STATES = ['', 'created', 'ringing', 'answered', 'connected', 'ended', 'failed'];
const CAUSES = { 1: 'unallocated number', 16: 'normal clearing', 17: 'user busy', 18: 'no user responding',
  19: 'no answer', 21: 'call rejected', 27: 'destination out of order', 34: 'no circuit available',
  38: 'network out of order', 41: 'temporary failure', 127: 'interworking' };

export async function render(main, args) {
  if (args[0]) {
    return story(main, args[0]);
  }
  return search(main);
}

function field(label, input) {
  return el('label', {}, label, input);
}

async function search(main) {
  const params = new URLSearchParams(sessionStorage.getItem('asterline.calls.filters') || '');
  const inputs = {
    from: el('input', { type: 'date', name: 'from', value: params.get('from') || '' }),
    to: el('input', { type: 'date', name: 'to', value: params.get('to') || '' }),
    number: el('input', { type: 'search', name: 'number', inputmode: 'tel', placeholder: '+1555…', value: params.get('number') || '' }),
    state: el('select', { name: 'state' }, STATES.map((s) => el('option', { value: s, selected: params.get('state') === s }, s || 'any'))),
    outcome: el('input', { type: 'text', name: 'outcome', placeholder: 'ANSWER, voicemail…', value: params.get('outcome') || '' }),
    direction: el('select', { name: 'direction' }, ['', 'inbound', 'outbound'].map((s) => el('option', { value: s, selected: params.get('direction') === s }, s || 'any'))),
    provider: el('select', { name: 'provider' }, ['', 'asterisk', 'twilio'].map((s) => el('option', { value: s, selected: params.get('provider') === s }, s || 'any'))),
  };
  if (session.admin) {
    inputs.business_id = el('select', { name: 'business_id' }, el('option', { value: '' }, 'all tenants'),
      session.tenants.map((t) => el('option', { value: t.id, selected: params.get('business_id') === String(t.id) }, t.name + ' (#' + t.id + ')')));
  }
  const results = el('section', { 'aria-live': 'polite', 'aria-labelledby': 'results-title' },
    el('h2', { id: 'results-title' }, 'Results'));
  const form = el('form', { class: 'filters', role: 'search', 'aria-label': 'Search calls' },
    field('From (day)', inputs.from), field('To (day)', inputs.to), field('Number', inputs.number),
    field('State', inputs.state), field('Outcome', inputs.outcome), field('Direction', inputs.direction),
    field('Carried by', inputs.provider),
    inputs.business_id ? field('Tenant', inputs.business_id) : '',
    el('button', { type: 'submit' }, 'Search'));
  async function run() {
    const q = new URLSearchParams();
    for (const [k, input] of Object.entries(inputs)) {
      if (input.value.trim()) {
        q.set(k, input.value.trim());
      }
    }
    sessionStorage.setItem('asterline.calls.filters', q.toString());
    q.set('limit', '200');
    results.replaceChildren(results.firstChild, el('p', { role: 'status' }, 'Searching…'));
    try {
      const body = await api('/api/calls?' + q.toString());
      results.replaceChildren(results.firstChild, table(body.calls.length + ' calls, newest first',
        ['Started', 'Direction', 'Carried by', 'Tenant', 'Caller / callee', 'State', 'Outcome', 'Duration'],
        body.calls.map((c) => [
          el('a', { href: '#/calls/' + c.id }, time(c.created_at)),
          c.direction, c.provider || '', String(c.business_id), c.remote_number || '',
          el('span', { class: 'state ' + c.state }, c.state), c.outcome || '',
          c.ended_at ? duration(Date.parse(c.ended_at) - Date.parse(c.created_at)) : '']),
        'No calls match.'));
    } catch (e) {
      results.replaceChildren(results.firstChild, notice(errorText(e)));
    }
  }
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    run();
  });
  main.append(el('h1', {}, 'Calls'), form, results);
  await run();
}

async function story(main, id) {
  main.append(el('p', {}, el('a', { href: '#/calls' }, '← All calls')));
  let s;
  try {
    s = await api('/api/calls/' + encodeURIComponent(id) + '/story');
  } catch (e) {
    main.append(el('h1', {}, 'Call ' + id));
    main.append(notice(e instanceof ApiError && (e.status === 404 || e.status === 403)
      ? 'This call does not exist or your token may not see it (HTTP ' + e.status + '): ' + e.message
      : errorText(e)));
    return;
  }
  const c = s.call;
  main.append(el('h1', {}, (c.direction === 'inbound' ? 'Inbound call from ' : 'Outbound call to ')
    + (c.remote_number || 'an unknown number')));
  const started = Date.parse(c.created_at);
  main.append(el('dl', { class: 'facts' },
    fact('Call id', el('code', {}, c.id)),
    fact('Tenant', s.tenant + ' (#' + c.business_id + ')'),
    fact('DID / caller ID', (c.direction === 'inbound' ? s.did : c.caller_id) || ''),
    fact('Trunk', s.trunk || ''),
    fact('Carried by', c.provider === 'twilio' ? 'Twilio (' + (c.provider_call_sid || 'no CallSid yet') + ')' : 'Asterisk'),
    fact('State', el('span', { class: 'state ' + c.state }, c.state)),
    fact('Outcome', c.outcome || ''),
    fact('Started', time(c.created_at)),
    fact('Duration', c.ended_at ? duration(Date.parse(c.ended_at) - started) : 'in progress'),
    fact('Greeting', s.greeting_ms !== null ? s.greeting_ms + ' ms' : ''),
    fact('Barge-ins', s.barge_in_count + (s.barge_in_max_stop_ms !== null ? ' (agent stopped within '
      + s.barge_in_max_stop_ms + ' ms at most)' : '')),
    fact('Agent decision', [c.agent_decision, c.transfer_to ? 'to ' + c.transfer_to : '',
      s.agent_end_reason ? '(' + s.agent_end_reason + ')' : ''].filter(Boolean).join(' ')),
    fact('Hangup cause', c.hangup_cause ? c.hangup_cause + (CAUSES[c.hangup_cause] ? ' (' + CAUSES[c.hangup_cause] + ')' : '') : '')));

  const player = el('section', { 'aria-labelledby': 'rec-title' }, el('h2', { id: 'rec-title' }, 'Recording'));
  main.append(player);
  await recording(player, c, s);

  main.append(el('section', { 'aria-labelledby': 'tl-title' }, el('h2', { id: 'tl-title' }, 'Timeline'),
    s.timeline.length ? el('ol', { class: 'timeline' }, s.timeline.map((t) => el('li', { class: t.kind },
      el('span', { class: 'at' }, '+' + (t.offset_ms / 1000).toFixed(1) + ' s'), ' ', t.text))) : el('p', { class: 'empty' }, 'Nothing recorded.')));

  main.append(el('section', { 'aria-labelledby': 'conv-title', class: 'conversation' },
    el('h2', { id: 'conv-title' }, 'Conversation'),
    s.turns.length ? s.turns.map((t) => el('p', {}, el('span', { class: 'role' }, t.role === 'agent' ? 'Agent' : 'Caller'), ' ', t.text))
      : el('p', { class: 'empty' }, 'No conversation stored for this call.')));

  main.append(el('section', { 'aria-labelledby': 'tr-title' }, el('h2', { id: 'tr-title' }, 'Transcript of the recording'),
    s.transcript ? el('p', { class: 'transcript' }, s.transcript)
      : el('p', { class: 'empty' }, 'No transcript (transcription is off for this tenant, or not done yet).')));
}

function fact(label, value) {
  return [el('dt', {}, label), el('dd', {}, value)];
}

async function recording(box, c, s) {
  if (!s.recording) {
    box.append(el('p', { class: 'empty' }, 'This call has no recording.'));
    return;
  }
  if (!s.recording.stored) {
    box.append(el('p', { class: 'empty' }, 'The recording is not stored yet (its job is ' + s.recording.state
      + ' at step ' + s.recording.step + '). Reload the page in a moment.'));
    return;
  }
  let link;
  try {
    link = await api('/api/calls/' + c.id + '/recording/link', { method: 'POST' });
  } catch (e) {
    box.append(notice(errorText(e)));
    return;
  }
  const audio = el('audio', { controls: true, preload: 'metadata', src: link.url, 'aria-label': 'Call recording' });
  const marks = el('div', { class: 'marks', role: 'group', 'aria-label': 'Turns of the conversation in the recording' });
  const start = Date.parse(s.recording.starts_at);
  function placeMarks() {
    marks.replaceChildren();
    const total = audio.duration;
    if (!isFinite(total) || total <= 0) {
      return;
    }
    s.turns.forEach((t, i) => {
      if (!t.at) {
        return;
      }
      const offset = (Date.parse(t.at) - start) / 1000;
      if (offset < 0 || offset > total) {
        return;
      }
      const b = el('button', { type: 'button', class: t.role, title: t.role + ': ' + t.text,
        'aria-label': 'Play from turn ' + (i + 1) + ', ' + t.role + ' at ' + offset.toFixed(1) + ' s' },
        t.role === 'agent' ? 'A' : 'C');
      b.style.left = (offset / total * 100) + '%';
      b.addEventListener('click', () => {
        audio.currentTime = offset;
        // a play() cut short (pause, another seek) is not an error worth a message
        audio.play().catch(() => {});
      });
      marks.append(b);
    });
  }
  audio.addEventListener('loadedmetadata', placeMarks);
  box.append(el('div', { class: 'player' }, audio, marks,
    el('p', { class: 'help' }, 'The marks are the turns of the conversation (A agent, C caller); choose one to play from there.')));
}
