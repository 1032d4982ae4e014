// The example against a live authsvc, started by tests/clients/test_examples.py, which
// passes AUTHSVC_URL, AUTHSVC_TENANT, AUTHSVC_ADMIN_KEY and AUTHSVC_OTHER_ADMIN_KEY (an
// admin key of a second tenant). Builds the app, runs `next start`, and uses it as a
// browser would: cookies, redirects, Origin headers.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { after, before, test } from "node:test";

import { AuthServiceClient } from "@authsvc/client";

const { AUTHSVC_URL: baseUrl, AUTHSVC_TENANT: tenant } = process.env;
const EMAIL = "next@example.com";
const PASSWORD = "next.js example password";
const admin = new AuthServiceClient(baseUrl, process.env.AUTHSVC_ADMIN_KEY);
const NEXT = "node_modules/next/dist/bin/next";
let server;
let appUrl;
let output = "";
const children = new Set();

function run(args, env) {
  // Its own process group, so that the whole tree (next's workers too) can be ended.
  const child = spawn(process.execPath, [NEXT, ...args], { env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  children.add(child);
  return child;
}

// Whatever ends this process (a failed hook, an exception, the runner's SIGTERM on a
// timeout), no next process outlives it.
process.on("exit", () => children.forEach(stop));
for (const signal of ["SIGTERM", "SIGINT"]) process.once(signal, () => process.exit(1));

function stop(child) {
  if (child?.exitCode === null && child.signalCode === null) {
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

async function freePort() {
  const probe = createServer().listen(0, "127.0.0.1");
  await new Promise((resolve) => probe.once("listening", resolve));
  const { port } = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

async function build(env) {
  const child = run(["build"], env);
  const code = await new Promise((resolve) => child.once("exit", resolve));
  assert.equal(code, 0, `next build failed:\n${output.slice(-4000)}`);
}

async function waitForApp(child, url) {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    assert.equal(child.exitCode, null, `next exited:\n${output.slice(-4000)}`);
    try {
      if ((await fetch(`${url}/login`)).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  assert.fail(`next did not answer within 30 s:\n${output.slice(-4000)}`);
}

/** `next start` of the built app on a free port: [process, its URL]. */
async function start(env) {
  const port = await freePort();
  const child = run(["start", "--hostname", "127.0.0.1", "--port", String(port)], env);
  const url = `http://127.0.0.1:${port}`;
  await waitForApp(child, url);
  return [child, url];
}

let appEnv;

before(async () => {
  const { key } = await admin.call("post_api_key_list", { body: { name: "next.js example", scopes: ["auth"] } });
  await admin.call("post_user_list", { body: { email: EMAIL, password: PASSWORD } });
  const env = { ...process.env, AUTHSVC_AUTH_KEY: key, NEXT_TELEMETRY_DISABLED: "1" };
  appEnv = env;
  delete env.AUTHSVC_ADMIN_KEY; // the app gets the auth-scope key only
  delete env.AUTHSVC_OTHER_ADMIN_KEY;
  await build(env);
  [server, appUrl] = await start(env);
});

after(() => stop(server));

/** A browser's cookie jar, reduced to what the test needs. */
class Browser {
  constructor(cookies = {}) {
    this.cookies = { ...cookies };
    this.setCookies = [];
  }

  async fetch(path, { method = "GET", json, headers = {}, body } = {}) {
    const sent = { Cookie: Object.entries(this.cookies).map(([k, v]) => `${k}=${v}`).join("; "), ...headers };
    if (json !== undefined) {
      sent["Content-Type"] = "application/json";
      sent.Origin ??= appUrl;
      body = JSON.stringify(json);
    }
    const response = await fetch(appUrl + path, { method, headers: sent, body, redirect: "manual" });
    this.setCookies = response.headers.getSetCookie();
    for (const cookie of this.setCookies) {
      const [pair] = cookie.split(";");
      const [name, value] = [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1)];
      if (/max-age=0\b/i.test(cookie) || !value) delete this.cookies[name];
      else this.cookies[name] = value;
    }
    return response;
  }

  signIn(email = EMAIL, password = PASSWORD) {
    return this.fetch("/api/session", { method: "POST", json: { email, password } });
  }
}

const validateAtAuthsvc = (token) =>
  fetch(`${baseUrl}/api/v1/auth/validate?tenant=${tenant}`, { headers: { Authorization: `Bearer ${token}` } });

test("signed-out visitors are sent to /login and API callers get a 401", async () => {
  const browser = new Browser();
  const page = await browser.fetch("/?tab=1");
  assert.equal(page.status, 307);
  assert.equal(new URL(page.headers.get("location"), appUrl).href, `${appUrl}/login?next=%2F%3Ftab%3D1`);
  const api = await browser.fetch("/api/notes");
  assert.equal(api.status, 401);
  assert.equal((await api.json()).status, 401);
  const login = await browser.fetch("/login");
  assert.equal(login.status, 200);
  assert.match(await login.text(), /<form[^>]*>.*name="password"/s);
});

test("signing in sets httpOnly, SameSite=Lax cookies; forged requests are refused", async () => {
  const browser = new Browser();
  const form = await browser.fetch("/api/session", {
    method: "POST",
    headers: { Origin: appUrl, "Content-Type": "application/x-www-form-urlencoded" },
    body: `email=${EMAIL}&password=${PASSWORD}`,
  });
  assert.equal(form.status, 415, "a cross-site HTML form could send this");
  const lookAlike = `http://127.0.0.1.evil.example:${new URL(appUrl).port}`;
  for (const Origin of ["http://evil.example", "null", lookAlike]) {
    const headers = { Origin, "X-Forwarded-Host": new URL(Origin === "null" ? appUrl : Origin).host };
    assert.equal((await browser.fetch("/api/session", { method: "POST", json: {}, headers })).status, 403, Origin);
  }
  const wrong = await browser.signIn(EMAIL, "not the password");
  assert.equal(wrong.status, 401);
  assert.deepEqual(browser.cookies, {});
  assert.equal((await browser.signIn()).status, 204);
  assert.deepEqual(Object.keys(browser.cookies).sort(), ["authsvc_access", "authsvc_refresh"]);
  for (const cookie of browser.setCookies) {
    assert.match(cookie, /; HttpOnly/i);
    assert.match(cookie, /; SameSite=lax/i);
    assert.match(cookie, /; Path=\//i);
    assert.doesNotMatch(cookie, /; Secure/i, "plain http here: a Secure cookie would never come back");
  }
  const https = new Browser();
  await https.fetch("/api/session", { method: "POST", json: { email: EMAIL, password: PASSWORD }, headers: { "X-Forwarded-Proto": "https" } });
  assert.equal(https.setCookies.length, 2);
  for (const cookie of https.setCookies) assert.match(cookie, /; Secure/i);
});

test("the signed-in user sees their page and their notes", async () => {
  const browser = new Browser();
  await browser.signIn();
  const page = await browser.fetch("/");
  assert.equal(page.status, 200);
  assert.match(await page.text(), new RegExp(`<strong id="email">${EMAIL}</strong>`));
  const added = await browser.fetch("/api/notes", { method: "POST", json: { text: "buy milk" } });
  assert.equal(added.status, 201);
  const notes = await (await browser.fetch("/api/notes")).json();
  assert.equal(notes.user.email, EMAIL);
  assert.deepEqual(notes.notes, ["buy milk"]);
  assert.equal((await browser.fetch("/api/notes", { method: "POST", json: { text: "" } })).status, 400);
  // Another site's page posting with the user's cookies: refused before anything is written.
  const csrf = await browser.fetch("/api/notes", { method: "POST", json: { text: "spam" }, headers: { Origin: "http://evil.example" } });
  assert.equal(csrf.status, 403);
  assert.deepEqual((await (await browser.fetch("/api/notes")).json()).notes, ["buy milk"]);
});

test("forged tokens and another tenant's genuine token are refused", async () => {
  const signedIn = new Browser();
  await signedIn.signIn();
  const [header, , signature] = signedIn.cookies.authsvc_access.split(".");
  const claims = Buffer.from(JSON.stringify({ sub: "someone-else", tid: "x", exp: 4102444800 })).toString("base64url");
  const other = new AuthServiceClient(baseUrl, process.env.AUTHSVC_OTHER_ADMIN_KEY);
  await other.call("post_user_list", { body: { email: EMAIL, password: PASSWORD } });
  const { key } = await other.call("post_api_key_list", { body: { name: "front end", scopes: ["auth"] } });
  const otherTokens = await new AuthServiceClient(baseUrl, key).session().login({ email: EMAIL }, PASSWORD);
  const forgeries = [`${header}.${claims}.${signature}`, "not-a-token", otherTokens.accessToken];
  for (const token of forgeries) {
    const browser = new Browser({ authsvc_access: token, authsvc_refresh: otherTokens.refreshToken });
    const page = await browser.fetch("/");
    assert.equal(page.status, 307, token);
    assert.match(page.headers.get("location"), /\/login\?next=/);
    assert.deepEqual(browser.cookies, {}, "a refused session's cookies are cleared");
    assert.equal((await new Browser({ authsvc_access: token }).fetch("/api/notes")).status, 401, token);
  }
});

test("an organization permission route admits members whose role grants it", async () => {
  const browser = new Browser();
  await browser.signIn();
  assert.equal((await new Browser().fetch("/api/reports")).status, 401);
  assert.equal((await browser.fetch("/api/reports")).status, 403, "no active organization yet");
  await admin.call("post_role_list", { body: { name: "analyst", permissions: ["reports:read"] } });
  const org = await admin.call("post_organization_list", { body: { name: "Acme", slug: "acme-next" } });
  const [user] = (await admin.call("get_user_list", { params: { email: EMAIL } })).items;
  await admin.call("post_member_list", { params: { org_id: org.id }, body: { user_id: user.id, roles: ["analyst"] } });
  const other = new AuthServiceClient(baseUrl, process.env.AUTHSVC_OTHER_ADMIN_KEY);
  const otherOrg = await other.call("post_organization_list", { body: { name: "Elsewhere", slug: "elsewhere" } });
  const before = { ...browser.cookies };
  const elsewhere = await browser.fetch("/api/organization", { method: "POST", json: { organization_id: otherOrg.id } });
  assert.equal(elsewhere.status, 404, "another tenant's organization does not exist here");
  assert.deepEqual(browser.cookies, before);
  const forged = { method: "POST", json: { organization_id: org.id }, headers: { Origin: "http://evil.example" } };
  assert.equal((await browser.fetch("/api/organization", forged)).status, 403);
  assert.equal((await browser.fetch("/api/organization", { method: "POST", json: { organization_id: 7 } })).status, 400);
  const switched = await browser.fetch("/api/organization", { method: "POST", json: { organization_id: org.id } });
  assert.equal(switched.status, 204);
  assert.notEqual(browser.cookies.authsvc_access, before.authsvc_access);
  const reports = await browser.fetch("/api/reports");
  assert.equal(reports.status, 200);
  assert.equal((await reports.json()).organization, org.id);
});

test("an expired access token is refreshed once, transparently", async () => {
  const browser = new Browser();
  await browser.signIn();
  const first = { ...browser.cookies };
  // The browser drops the access cookie when its Max-Age (the token's lifetime) runs out.
  delete browser.cookies.authsvc_access;
  const page = await browser.fetch("/");
  assert.equal(page.status, 200);
  assert.match(await page.text(), new RegExp(EMAIL));
  assert.notEqual(browser.cookies.authsvc_refresh, first.authsvc_refresh, "refresh tokens rotate");
  assert.ok(browser.cookies.authsvc_access);
  // Two requests racing with the same spent cookie share one exchange, not revoke the session.
  const racing = [new Browser({ authsvc_refresh: first.authsvc_refresh }), new Browser({ authsvc_refresh: first.authsvc_refresh })];
  const answers = await Promise.all(racing.map((b) => b.fetch("/api/notes")));
  assert.deepEqual(answers.map((a) => a.status), [200, 200]);
  assert.equal((await validateAtAuthsvc(browser.cookies.authsvc_access)).status, 200);
});

test("signing out ends the session at authsvc too", async () => {
  const browser = new Browser();
  await browser.signIn();
  const old = { ...browser.cookies };
  assert.equal((await browser.fetch("/api/session", { method: "DELETE", headers: { Origin: "http://evil.example" } })).status, 403);
  assert.equal((await browser.fetch("/api/session", { method: "DELETE", headers: { Origin: appUrl } })).status, 204);
  assert.deepEqual(browser.cookies, {});
  assert.equal((await browser.fetch("/")).status, 307);
  assert.equal((await validateAtAuthsvc(old.authsvc_access)).status, 401);
  // Replaying the old cookies gets nowhere: neither token outlives the session.
  const replay = new Browser(old);
  assert.equal((await replay.fetch("/")).status, 307);
  assert.equal((await replay.fetch("/api/notes")).status, 401);
});

test("an authsvc outage is an error, not a sign-out", async () => {
  const browser = new Browser();
  await browser.signIn();
  const [down, downUrl] = await start({ ...appEnv, AUTHSVC_URL: `http://127.0.0.1:${await freePort()}` });
  try {
    // With both cookies the token check fails; with the refresh cookie alone, the refresh.
    for (const cookie of [`authsvc_access=${browser.cookies.authsvc_access}; `, ""]) {
      const headers = { Cookie: `${cookie}authsvc_refresh=${browser.cookies.authsvc_refresh}` };
      const page = await fetch(`${downUrl}/`, { headers, redirect: "manual" });
      assert.equal(page.status, 500);
      assert.deepEqual(page.headers.getSetCookie(), [], "the cookies are kept for when authsvc is back");
    }
  } finally {
    stop(down);
  }
});
