// The console's shell: sign-in, the page router (#/live, #/calls, #/calls/<id>, #/dids, #/reports, #/health) and
// small DOM helpers the pages share. Plain modules, no framework: the whole console is a few small files the
// browser loads from this server, nothing from elsewhere (see the README's Console section for why).

import { api, ApiError, setToken, token } from './api.js';
import { errorText, notice, session } from './ui.js';
import * as live from './live.js';
import * as calls from './calls.js';
import * as dids from './dids.js';
import * as reports from './reports.js';
import * as health from './health.js';

const PAGES = { live, calls, dids, reports, health };

let stopPage = null;

async function route() {
  const main = document.getElementById('main');
  if (stopPage) {
    stopPage();
    stopPage = null;
  }
  if (!token()) {
    showLogin();
    return;
  }
  const [name, ...rest] = (location.hash.replace(/^#\/?/, '') || 'live').split('/');
  const page = PAGES[name] ? name : 'live';
  for (const a of document.querySelectorAll('nav a')) {
    if (a.dataset.page === page) {
      a.setAttribute('aria-current', 'page');
    } else {
      a.removeAttribute('aria-current');
    }
  }
  main.replaceChildren();
  try {
    stopPage = (await PAGES[page].render(main, rest.map(decodeURIComponent))) || null;
  } catch (e) {
    main.append(notice(errorText(e)));
  }
  const h1 = main.querySelector('h1');
  document.title = (h1 ? h1.textContent + ' - ' : '') + 'Asterline console';
}

function showLogin(message) {
  document.getElementById('shell').hidden = true;
  const login = document.getElementById('login');
  login.hidden = false;
  const err = document.getElementById('login-error');
  err.textContent = message || '';
  err.hidden = !message;
  document.getElementById('token').focus();
}

/** Finds out what the token may do (GET /api/console/me), and the tenants it may pick from. */
async function identify() {
  const me = await api('/api/console/me');
  session.admin = me.admin;
  session.tenantId = me.tenantId;
  if (me.admin) {
    session.tenants = (await api('/api/tenants')).tenants || [];
    return 'admin (all tenants)';
  }
  session.tenants = [{ id: me.tenantId, name: me.tenantName }];
  return 'tenant ' + me.tenantName + ' (#' + me.tenantId + ')';
}

async function start() {
  document.getElementById('login-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const input = document.getElementById('token');
    setToken(input.value.trim());
    input.value = '';
    try {
      await signedIn();
    } catch (e) {
      setToken(null);
      showLogin(e instanceof ApiError && e.status === 401 ? 'That token was not accepted. Check it and try again.'
        : errorText(e));
    }
  });
  document.getElementById('logout').addEventListener('click', () => {
    setToken(null);
    if (stopPage) {
      stopPage();
      stopPage = null;
    }
    showLogin();
  });
  window.addEventListener('hashchange', route);
  if (token()) {
    try {
      await signedIn();
    } catch (e) {
      setToken(null);
      showLogin(errorText(e));
    }
  } else {
    showLogin();
  }
}

async function signedIn() {
  const who = await identify();
  document.getElementById('login').hidden = true;
  document.getElementById('shell').hidden = false;
  document.getElementById('who').textContent = 'Signed in as ' + who;
  await route();
  document.getElementById('main').focus();
}

start();
