// @authsvc/client: the authsvc API from JavaScript (Node 20+, browsers, workers).
//
// Operations are read from the server's OpenAPI 3.1 document and called by their
// operationId, so endpoints added to authsvc are callable without a new release.
// Only `fetch` is used; pass your own as `options.fetch`.

const DOCUMENT_PATH = "/api/v1/openapi.json";
const METHODS = ["get", "put", "post", "delete", "patch"];

/** An error answer from authsvc: the fields of its RFC 9457 problem document. */
export class ProblemError extends Error {
  constructor(status, problem, headers) {
    super(`${status} ${problem.title ?? ""}: ${problem.detail ?? ""}`.trim());
    this.name = "ProblemError";
    this.status = status;
    this.type = problem.type ?? "about:blank";
    this.title = problem.title ?? "";
    this.detail = problem.detail ?? "";
    this.errors = problem.errors ?? {};
    this.problem = problem;
    this.headers = headers;
  }
}

/** The password was right; finish with `session.completeMfa(error.mfaToken, code)`. */
export class MfaRequiredError extends Error {
  constructor(mfaToken) {
    super("A second factor is required");
    this.name = "MfaRequiredError";
    this.mfaToken = mfaToken;
  }
}

/** Every operation of an OpenAPI 3.x document, by operationId. */
export function readOperations(document) {
  const server = (document.servers?.[0]?.url ?? "").replace(/\/$/, "");
  const operations = {};
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const params = {};
      for (const p of [...(item.parameters ?? []), ...(op.parameters ?? [])]) params[p.name] = p.in;
      const schemes = (op.security ?? []).flatMap((requirement) => Object.keys(requirement));
      operations[op.operationId] = {
        operationId: op.operationId,
        method: method.toUpperCase(),
        path: server + path,
        params,
        bearer: schemes.includes("bearer"),
        hasBody: "requestBody" in op,
      };
    }
  }
  return operations;
}

async function decode(response) {
  const type = response.headers.get("content-type") ?? "";
  const text = await response.text();
  const body = text && type.includes("json") ? JSON.parse(text) : null;
  if (response.status >= 400) {
    const problem = body && typeof body === "object" ? body : { title: response.statusText, detail: text.slice(0, 200) };
    throw new ProblemError(response.status, problem, response.headers);
  }
  return body;
}

/** A tenant app's client: `new AuthServiceClient(baseUrl, apiKey)`. */
export class AuthServiceClient {
  constructor(baseUrl, apiKey, options = {}) {
    this.baseUrl = baseUrl.replace(/\/$/, "");
    this.apiKey = apiKey;
    this.fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.operationsPromise = options.document ? Promise.resolve(readOperations(options.document)) : null;
  }

  /** The operations, from the server's document (read once). */
  operations() {
    this.operationsPromise ??= this.fetch(this.baseUrl + DOCUMENT_PATH).then(decode).then(readOperations);
    return this.operationsPromise;
  }

  /** Call one operation: `params` are its path, query and header parameters. */
  async call(operationId, { params = {}, body, token } = {}) {
    const op = (await this.operations())[operationId];
    if (!op) throw new TypeError(`the API has no operation ${operationId}`);
    const unknown = Object.keys(params).filter((name) => !(name in op.params));
    if (unknown.length) throw new TypeError(`${operationId}: unexpected parameters ${unknown}`);
    const headers = { Accept: "application/json, application/problem+json" };
    if (this.apiKey) headers["X-API-Key"] = this.apiKey;
    if (op.bearer) {
      if (!token) throw new TypeError(`${operationId} needs an end user's access token`);
      headers.Authorization = `Bearer ${token}`;
    }
    let path = op.path;
    const query = new URLSearchParams();
    for (const [name, where] of Object.entries(op.params)) {
      const value = params[name];
      if (where === "path") {
        if (value === undefined) throw new TypeError(`${operationId}: missing parameter ${name}`);
        path = path.replace(`{${name}}`, encodeURIComponent(String(value)));
      } else if (value !== undefined && value !== null) {
        if (where === "query") query.set(name, String(value));
        else headers[name] = String(value);
      }
    }
    if (body !== undefined) {
      if (!op.hasBody) throw new TypeError(`${operationId} takes no body`);
      headers["Content-Type"] = "application/json";
    }
    const search = query.size ? `?${query}` : "";
    const init = { method: op.method, headers, body: body === undefined ? undefined : JSON.stringify(body) };
    return decode(await this.fetch(this.baseUrl + path + search, init));
  }

  /** Every row of a cursor-paginated listing: `for await (const user of client.paginate(...))`. */
  async *paginate(operationId, params = {}) {
    let cursor = params.cursor;
    do {
      const page = await this.call(operationId, { params: { ...params, cursor } });
      yield* Array.isArray(page) ? page : page.items;
      cursor = Array.isArray(page) ? null : page.next_cursor;
    } while (cursor);
  }

  /** An end user's session (sign-in, MFA, refresh, /me); see UserSession. */
  session(options = {}) {
    return new UserSession(this, options);
  }
}

/** Tokens kept in this process only (the default; a browser tab or a script). */
export class MemoryTokenStorage {
  constructor(tokens = null) {
    this.tokens = tokens;
  }
  get() {
    return this.tokens;
  }
  set(tokens) {
    this.tokens = tokens;
  }
}

function tokenPair(answer) {
  if (answer.mfa_required) throw new MfaRequiredError(answer.mfa_token);
  return {
    accessToken: answer.access_token,
    refreshToken: answer.refresh_token,
    expiresAt: Date.now() + answer.expires_in * 1000,
  };
}

/**
 * An end user's session. The access token is refreshed shortly before it lapses and once
 * after a 401. Refresh tokens rotate and a reused one revokes the session, so concurrent
 * calls share one refresh. `storage` is any object with get()/set(tokens) (may be async).
 */
export class UserSession {
  constructor(client, { storage = new MemoryTokenStorage(), leewaySeconds = 30 } = {}) {
    this.client = client;
    this.storage = storage;
    this.leeway = leewaySeconds * 1000;
    this.refreshing = null;
  }

  async store(tokens) {
    await this.storage.set(tokens);
    return tokens;
  }

  async tokens() {
    const tokens = await this.storage.get();
    if (!tokens) throw new TypeError("Not signed in");
    return tokens;
  }

  register(email, password, fields = {}) {
    return this.client.call("post_register", { body: { email, password, ...fields } });
  }

  /** Sign in with `{email}` or `{username}`; throws MfaRequiredError when a code is due. */
  async login(identity, password) {
    const answer = await this.client.call("post_login", { body: { ...identity, password } });
    return this.store(tokenPair(answer));
  }

  async completeMfa(mfaToken, code) {
    const answer = await this.client.call("post_mfa_login", { body: { mfa_token: mfaToken, code } });
    return this.store(tokenPair(answer));
  }

  /** Exchange the refresh token once, however many callers ask at the same time. */
  refresh(seen) {
    this.refreshing ??= (async () => {
      try {
        const current = await this.tokens();
        if (seen && current.accessToken !== seen.accessToken) return current;
        const body = { refresh_token: current.refreshToken };
        return await this.store(tokenPair(await this.client.call("post_refresh", { body })));
      } finally {
        this.refreshing = null;
      }
    })();
    return this.refreshing;
  }

  /** Call a Bearer operation as this user. */
  async call(operationId, request = {}) {
    let tokens = await this.tokens();
    if (Date.now() + this.leeway >= tokens.expiresAt) tokens = await this.refresh(tokens);
    try {
      return await this.client.call(operationId, { ...request, token: tokens.accessToken });
    } catch (error) {
      if (!(error instanceof ProblemError) || error.status !== 401) throw error;
      tokens = await this.refresh(tokens);
      return this.client.call(operationId, { ...request, token: tokens.accessToken });
    }
  }

  async logout() {
    const tokens = await this.tokens();
    await this.client.call("post_logout", { token: tokens.accessToken });
    await this.store(null);
  }

  getCurrentUser() {
    return this.call("get_me");
  }

  listSessions() {
    return this.call("get_my_sessions");
  }

  revokeSession(sessionId) {
    return this.call("delete_my_session", { params: { session_id: sessionId } });
  }
}
