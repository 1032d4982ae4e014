// <authsvc-sign-in api-key="ak_..."> : a framework-free sign-in form for a tenant's pages.
// Served by authsvc as /t/<slug>/widget.js, which wraps this file in a function given
// THEME_CSS (the tenant's colours as custom properties on :host) and SLUG. It calls the
// public `auth`-scope API (so the key must have only that scope), asks for a code when
// the account has MFA, and emits `authsvc:signed-in` with the token pair. Styles are
// adopted stylesheets, which a page's CSP style-src does not block.
const SCRIPT_ORIGIN = new URL(document.currentScript.src).origin;

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

class AuthsvcSignIn extends HTMLElement {
  connectedCallback() {
    if (this.shadowRoot) return;
    const root = this.attachShadow({ mode: "open" });
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(THEME_CSS + STYLE);
    root.adoptedStyleSheets = [sheet];
    this.form = document.createElement("form");
    this.credentials = [field("email", "Email", "email", "username"), field("password", "Password", "password", "current-password")];
    this.code = field("code", "Authentication code", "text", "one-time-code");
    this.code.hidden = true;
    this.code.querySelector("input").required = false;
    this.error = Object.assign(document.createElement("p"), { role: "alert" });
    this.error.setAttribute("role", "alert");
    const submit = Object.assign(document.createElement("button"), { type: "submit", textContent: "Sign in" });
    this.form.append(...this.credentials, this.code, this.error, submit);
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit(submit);
    });
    root.append(this.form);
  }

  async post(path, body) {
    const tenant = this.getAttribute("tenant") ?? SLUG;
    if (tenant !== SLUG) throw new Error("This widget script belongs to another tenant.");
    const response = await fetch(`${SCRIPT_ORIGIN}/api/v1${path}`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-API-Key": this.getAttribute("api-key") ?? "" },
      body: JSON.stringify(body),
    });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(answer.detail || answer.title || `Sign-in failed (${response.status}).`);
    return answer;
  }

  async submit(button) {
    const values = Object.fromEntries(new FormData(this.form));
    this.error.textContent = "";
    button.disabled = true;
    try {
      const answer = this.mfaToken
        ? await this.post("/auth/mfa", { mfa_token: this.mfaToken, code: values.code })
        : await this.post("/auth/login", { email: values.email, password: values.password });
      if (answer.mfa_required) return this.askForCode(answer.mfa_token);
      this.mfaToken = null;
      const detail = { accessToken: answer.access_token, refreshToken: answer.refresh_token, expiresIn: answer.expires_in };
      this.dispatchEvent(new CustomEvent("authsvc:signed-in", { detail, bubbles: true, composed: true }));
    } catch (error) {
      this.error.textContent = error.message;
      this.dispatchEvent(new CustomEvent("authsvc:error", { detail: { message: error.message }, bubbles: true, composed: true }));
    } finally {
      button.disabled = false;
    }
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

if (!customElements.get("authsvc-sign-in")) customElements.define("authsvc-sign-in", AuthsvcSignIn);
