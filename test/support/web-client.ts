// A tiny browser-like HTTP client for integration tests: keeps cookies, finds CSRF tokens.

export class WebClient {
  private cookies = new Map<string, string>();
  lastCsrf = '';

  constructor(readonly baseUrl: string) {}

  async request(
    method: string,
    path: string,
    init: { form?: Record<string, string | string[]>; json?: unknown; headers?: Record<string, string> } = {},
  ) {
    const headers: Record<string, string> = { accept: 'text/html', ...init.headers };
    if (this.cookies.size) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    let body: string | undefined;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      // A list posts the field once per value, as checkboxes do.
      body = new URLSearchParams(
        Object.entries(init.form).flatMap(([k, v]) => [v].flat().map((x) => [k, x])),
      ).toString();
    } else if (init.json !== undefined) {
      headers['content-type'] = 'application/json';
      headers.accept = 'application/json';
      body = JSON.stringify(init.json);
    }
    const res = await fetch(this.baseUrl + path, { method, headers, body, redirect: 'manual' });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair.indexOf('=');
      this.cookies.set(pair.slice(0, i), pair.slice(i + 1));
    }
    // The bytes too: text decoding drops a leading BOM, which a CSV download must have.
    const bytes = Buffer.from(await res.arrayBuffer());
    const text = new TextDecoder().decode(bytes);
    const m = /name="_csrf" value="([^"]+)"/.exec(text);
    if (m) this.lastCsrf = m[1];
    return { status: res.status, location: res.headers.get('location'), text, bytes, headers: res.headers };
  }

  /** The first server-sent event of a stream (then the stream is closed), or the whole answer when it is not one. */
  async firstEvent(path: string) {
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (this.cookies.size) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const ac = new AbortController();
    const res = await fetch(this.baseUrl + path, { headers, redirect: 'manual', signal: ac.signal });
    let text = '';
    if (res.body && (res.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
      const reader = res.body.getReader();
      const dec = new TextDecoder();
      while (!/\n\n/.test(text)) {
        const { value, done } = await reader.read();
        if (done) break;
        text += dec.decode(value, { stream: true });
      }
      ac.abort();
    } else text = await res.text();
    return { status: res.status, location: res.headers.get('location'), text };
  }

  get(path: string) {
    return this.request('GET', path);
  }

  /** Posts a form with the CSRF token of the last page seen (fetching `from` first when given). */
  async post(path: string, form: Record<string, string | string[]>, from?: string) {
    if (from) await this.get(from);
    return this.request('POST', path, { form: { _csrf: this.lastCsrf, ...form } });
  }

  async login(username: string, password: string) {
    await this.get('/login');
    const res = await this.post('/login', { username, password });
    if (res.status !== 302) throw new Error(`login as ${username} failed: ${res.status}`);
    return res;
  }

  /**
   * As a signed-in admin: creates a user with a first password, then signs in once as that user
   * and chooses `password`, as a new user must before anything else. Returns the creation response.
   */
  async createUser(u: { username: string; role: string; password: string }) {
    const first = `first-${u.password}`;
    const res = await this.post('/admin/users', { ...u, password: first }, '/admin/users');
    if (res.status !== 200) return res;
    const c = new WebClient(this.baseUrl);
    await c.login(u.username, first);
    const changed = await c.post(
      '/account/password',
      { current: first, password: u.password },
      '/account/password',
    );
    if (changed.status !== 302)
      throw new Error(`first password change of ${u.username} failed: ${changed.status}`);
    return res;
  }
}

/** The password the tests give the users they create. */
export const USER_PASSWORD = 'a-long-password-123';

/** A client signed in as the platform's admin. */
export async function adminClient(p: { baseUrl: string; adminPassword: string }): Promise<WebClient> {
  const admin = new WebClient(p.baseUrl);
  await admin.login('admin', p.adminPassword);
  return admin;
}

/** A user of `role` created by the admin (password USER_PASSWORD), and a client signed in as them. */
export async function newUserClient(
  p: { baseUrl: string; adminPassword: string },
  role: string,
  username: string,
): Promise<WebClient> {
  const res = await (await adminClient(p)).createUser({ username, role, password: USER_PASSWORD });
  if (res.status !== 200) throw new Error(`creating user ${username} failed: ${res.status}`);
  const c = new WebClient(p.baseUrl);
  await c.login(username, USER_PASSWORD);
  return c;
}
