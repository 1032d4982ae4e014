// Framework-free elements for a tenant's own pages: <authsvc-sign-in>, <authsvc-sign-up>
// and <authsvc-user-button>, each with an api-key="ak_..." attribute (a key with the
// `auth` scope only: it is public). This file is a function body given THEME_CSS (the
// tenant's colours as custom properties on :host), SLUG and SCRIPT_ORIGIN (authsvc's
// address). authsvc serves it as /t/<slug>/widget.js, a classic script that finds its
// origin from its own src; clients/js/scripts/widget.mjs wraps the same file as the npm
// package's ES module (@authsvc/client/widget). Styles are adopted stylesheets, which a
// page's CSP style-src does not block. Results are DOM events: authsvc:signed-in (the
// token pair), authsvc:signed-up, authsvc:signed-out and authsvc:error.

const STYLE = `
:host { display: block; font-family: var(--authsvc-font); color: var(--authsvc-text); }
form { display: grid; gap: .6rem; max-width: 22rem; padding: 1rem; border-radius: .5rem;
  background: var(--authsvc-background); border: 1px solid var(--authsvc-secondary); }
label { display: grid; gap: .25rem; font-size: .9rem; }
input { font: inherit; padding: .45rem .6rem; border: 1px solid var(--authsvc-secondary); border-radius: .35rem; }
button { font: inherit; padding: .5rem; border: 0; border-radius: .35rem; cursor: pointer;
  background: var(--authsvc-primary); color: var(--authsvc-background); }
[role=alert] { color: #b91c1c; font-size: .9rem; min-height: 1.2em; margin: 0; }
[hidden] { display: none; }
`;

function field(name, label, type, autocomplete) {
  const wrapper = document.createElement("label");
  wrapper.textContent = label;
  const input = document.createElement("input");
  Object.assign(input, { name, type, autocomplete, required: true });
  wrapper.append(input);
  return wrapper;
}

class AuthsvcElement extends HTMLElement {
  connectedCallback() {
    if (this.shadowRoot) return;
    const root = this.attachShadow({ mode: "open" });
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(THEME_CSS + STYLE);
    root.adoptedStyleSheets = [sheet];
    this.error = Object.assign(document.createElement("p"), { role: "alert" });
    this.error.setAttribute("role", "alert");
    this.render(root);
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
  }

  async post(path, body, token) {
    const tenant = this.getAttribute("tenant") ?? SLUG;
    if (tenant !== SLUG) throw new Error("This widget script belongs to another tenant.");
    const headers = { "Content-Type": "application/json", "X-API-Key": this.getAttribute("api-key") ?? "" };
    if (token) headers.Authorization = `Bearer ${token}`;
    const response = await fetch(`${SCRIPT_ORIGIN}/api/v1${path}`, {
      method: body === undefined ? "GET" : "POST",
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(answer.detail || answer.title || `Request failed (${response.status}).`);
    return answer;
  }

  /** Run `action` with `button` disabled; a failure is shown and emitted as authsvc:error. */
  async busy(button, action) {
    this.error.textContent = "";
    button.disabled = true;
    try {
      await action();
    } catch (error) {
      this.error.textContent = error.message;
      this.emit("authsvc:error", { message: error.message });
    } finally {
      button.disabled = false;
    }
  }
}

function formWith(fields, error, label, onSubmit) {
  const form = document.createElement("form");
  const submit = Object.assign(document.createElement("button"), { type: "submit", textContent: label });
  form.append(...fields, error, submit);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    onSubmit(Object.fromEntries(new FormData(form)), submit);
  });
  return form;
}

class AuthsvcSignIn extends AuthsvcElement {
  render(root) {
    this.credentials = [field("email", "Email", "email", "username"), field("password", "Password", "password", "current-password")];
    this.code = field("code", "Authentication code", "text", "one-time-code");
    this.code.hidden = true;
    this.code.querySelector("input").required = false;
    const submit = (values, button) => this.busy(button, () => this.signIn(values));
    root.append(formWith([...this.credentials, this.code], this.error, "Sign in", submit));
  }

  async signIn(values) {
    const answer = this.mfaToken
      ? await this.post("/auth/mfa", { mfa_token: this.mfaToken, code: values.code })
      : await this.post("/auth/login", { email: values.email, password: values.password });
    if (answer.mfa_required) return this.askForCode(answer.mfa_token);
    this.mfaToken = null;
    this.emit("authsvc:signed-in", { accessToken: answer.access_token, refreshToken: answer.refresh_token, expiresIn: answer.expires_in });
  }

  askForCode(mfaToken) {
    this.mfaToken = mfaToken;
    for (const item of this.credentials) item.hidden = true;
    this.code.hidden = false;
    const input = this.code.querySelector("input");
    input.required = true;
    input.focus();
  }
}

class AuthsvcSignUp extends AuthsvcElement {
  render(root) {
    const fields = [field("email", "Email", "email", "email"), field("password", "Password", "password", "new-password")];
    const submit = (values, button) => this.busy(button, () => this.signUp(values));
    root.append(formWith(fields, this.error, "Create account", submit));
  }

  async signUp(values) {
    const answer = await this.post("/auth/register", { email: values.email, password: values.password });
    // A user, or {status: "accepted"} when the tenant hides which addresses exist.
    this.emit("authsvc:signed-up", answer.id ? { user: answer } : { accepted: true });
  }
}

/** Shows the signed-in user and a sign-out button; set `element.accessToken` to a token. */
class AuthsvcUserButton extends AuthsvcElement {
  render(root) {
    this.name = document.createElement("span");
    const button = Object.assign(document.createElement("button"), { type: "button", textContent: "Sign out" });
    button.addEventListener("click", () => this.busy(button, () => this.signOut()));
    this.box = Object.assign(document.createElement("div"), { hidden: true });
    this.box.append(this.name, " ", button, this.error);
    root.append(this.box);
    if (this.token) this.show();
  }

  set accessToken(token) {
    this.token = token;
    if (this.shadowRoot) this.show();
  }

  async show() {
    try {
      const me = await this.post("/me", undefined, this.token);
      this.name.textContent = me.display_name || me.email;
      this.box.hidden = false;
    } catch (error) {
      this.box.hidden = true;
      this.emit("authsvc:error", { message: error.message });
    }
  }

  async signOut() {
    await this.post("/auth/logout", {}, this.token);
    this.token = null;
    this.box.hidden = true;
    this.emit("authsvc:signed-out", {});
  }
}

for (const [name, element] of [
  ["authsvc-sign-in", AuthsvcSignIn],
  ["authsvc-sign-up", AuthsvcSignUp],
  ["authsvc-user-button", AuthsvcUserButton],
]) {
  if (!customElements.get(name)) customElements.define(name, element);
}
