// Talking to the Asterline API. The token lives in this tab's sessionStorage (gone when the tab closes) and
// travels only in the Authorization header: never in a URL, so never in a log, a history entry or a Referer.

const KEY = 'asterline.token';

export class ApiError extends Error {
  constructor(status, message, field) {
    super(message);
    this.status = status;
    this.field = field;
  }
}

export function token() {
  return sessionStorage.getItem(KEY);
}

export function setToken(value) {
  if (value) {
    sessionStorage.setItem(KEY, value);
  } else {
    sessionStorage.removeItem(KEY);
  }
}

function headers(extra) {
  const h = Object.assign({}, extra || {});
  const t = token();
  if (t) {
    h.Authorization = 'Bearer ' + t;
  }
  return h;
}

async function errorOf(res) {
  let message = res.status + ' ' + res.statusText;
  let field;
  try {
    const body = await res.json();
    if (body && body.error) {
      message = body.error;
      field = body.field;
    }
  } catch (e) {
    // not JSON: the status line says enough
  }
  return new ApiError(res.status, message, field);
}

/** A JSON request; throws ApiError with the API's own message when the answer is not 2xx. */
export async function api(path, options = {}) {
  const init = { method: options.method || 'GET', headers: headers(options.headers), signal: options.signal };
  if (options.body !== undefined) {
    init.body = JSON.stringify(options.body);
    init.headers['Content-Type'] = 'application/json';
  }
  const res = await fetch(path, init);
  if (!res.ok) {
    throw await errorOf(res);
  }
  if (res.status === 204) {
    return null;
  }
  const type = res.headers.get('Content-Type') || '';
  return type.includes('json') ? res.json() : res.text();
}

/** The raw text of a GET (CSV, Prometheus exposition). */
export async function text(path) {
  const res = await fetch(path, { headers: headers() });
  if (!res.ok) {
    throw await errorOf(res);
  }
  return res.text();
}

/** The response of a GET whatever its status (for /health, whose 503 still carries the parts). */
export async function raw(path) {
  return fetch(path, { headers: headers() });
}

/**
 * Server-sent events read with fetch, because EventSource cannot send an Authorization header. Calls
 * onEvent(name, data) per event and onState('open' | 'retrying' | 'refused', detail); reconnects after a drop
 * (1 s, then up to 10 s). Returns a function that stops it.
 */
export function stream(path, onEvent, onState) {
  const control = new AbortController();
  let delay = 1000;
  let stopped = false;
  async function run() {
    while (!stopped) {
      try {
        const res = await fetch(path, { headers: headers({ Accept: 'text/event-stream' }), signal: control.signal });
        if (!res.ok) {
          const err = await errorOf(res);
          onState('refused', err);
          if (res.status === 401 || res.status === 403) {
            return;
          }
        } else {
          onState('open');
          delay = 1000;
          const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
          let buffer = '';
          for (;;) {
            const { value, done } = await reader.read();
            if (done) {
              break;
            }
            buffer += value;
            let end;
            while ((end = buffer.indexOf('\n\n')) >= 0) {
              const block = buffer.slice(0, end);
              buffer = buffer.slice(end + 2);
              let name = 'message';
              const data = [];
              for (const line of block.split('\n')) {
                if (line.startsWith('event:')) {
                  name = line.slice(6).trim();
                } else if (line.startsWith('data:')) {
                  data.push(line.slice(5).replace(/^ /, ''));
                }
              }
              if (data.length) {
                onEvent(name, data.join('\n'));
              }
            }
          }
        }
      } catch (e) {
        if (stopped) {
          return;
        }
      }
      if (stopped) {
        return;
      }
      onState('retrying');
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 10000);
    }
  }
  run();
  return () => {
    stopped = true;
    control.abort();
  };
}

/** Saves text as a file the browser downloads (a CSV fetched with the token, which a plain link cannot carry). */
export function download(name, content, type) {
  const url = URL.createObjectURL(new Blob([content], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
