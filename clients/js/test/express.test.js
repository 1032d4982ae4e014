// The Express middleware and cookie token storage, in a real Express app on loopback,
// against the live authsvc the Python test runner started (see client.test.js).
import assert from "node:assert/strict";
import { generateKeyPair, SignJWT } from "jose";
import { randomUUID } from "node:crypto";
import { after, before, test } from "node:test";

import express from "express";

import { cookieTokenStorage, requireAuth } from "../src/express.js";
import { AuthServiceClient } from "../src/index.js";

const { AUTHSVC_URL: baseUrl, AUTHSVC_TENANT: tenant, AUTHSVC_AUTH_KEY: authKey } = process.env;
const PASSWORD = "javascript client test password";
const authsvc = new AuthServiceClient(baseUrl, authKey);
let server;
let appUrl;

before(async () => {
  const app = express();
  app.use(express.json());
  app.get("/notes", requireAuth({ baseUrl, tenant }), (req, res) => res.json({ owner: req.auth.email }));
  app.get("/strict", requireAuth({ baseUrl, tenant, checkRevocation: true }), (req, res) => res.json({}));
  app.get("/admin", requireAuth({ baseUrl, tenant, roles: ["admin"] }), (req, res) => res.json({}));
  // The tenant's backend signs users in; the browser only ever holds an httpOnly cookie.
  app.post("/login", async (req, res) => {
    const session = authsvc.session({ storage: cookieTokenStorage(req, res, { secure: false }) });
    await session.login({ email: req.body.email }, req.body.password);
    res.status(204).end();
  });
  app.get("/profile", async (req, res) => {
    const session = authsvc.session({ storage: cookieTokenStorage(req, res, { secure: false }) });
    try {
      res.json(await session.getCurrentUser());
    } catch {
      res.status(401).end();
    }
  });
  await new Promise((resolve) => {
    server = app.listen(0, "127.0.0.1", resolve);
  });
  appUrl = `http://127.0.0.1:${server.address().port}`;
});

after(() => server.close());

async function signedIn() {
  const address = `ex-${randomUUID().slice(0, 8)}@example.com`;
  const session = authsvc.session();
  await session.register(address, PASSWORD);
  return { address, session, tokens: await session.login({ email: address }, PASSWORD) };
}

const bearer = (token) => ({ headers: { Authorization: `Bearer ${token}` } });

test("requireAuth admits the tenant's tokens and refuses the rest", async () => {
  const { address, tokens } = await signedIn();
  const ok = await fetch(`${appUrl}/notes`, bearer(tokens.accessToken));
  assert.deepEqual(await ok.json(), { owner: address });
  const missing = await fetch(`${appUrl}/notes`);
  assert.equal(missing.status, 401);
  assert.match(missing.headers.get("www-authenticate"), /^Bearer/);
  assert.equal((await fetch(`${appUrl}/admin`, bearer(tokens.accessToken))).status, 403);
  // Right claims, wrong key: a forged token.
  const { privateKey } = await generateKeyPair("ES256");
  const forged = await new SignJWT({ sub: "x", tid: "x", roles: ["admin"] })
    .setProtectedHeader({ alg: "ES256", typ: "at+jwt", kid: "forged" })
    .setIssuer(`${baseUrl}/t/${tenant}`)
    .setAudience(tenant)
    .setExpirationTime("5m")
    .sign(privateKey);
  assert.equal((await fetch(`${appUrl}/notes`, bearer(forged))).status, 401);
});

test("checkRevocation sees a logout that local verification cannot", async () => {
  const { session, tokens } = await signedIn();
  assert.equal((await fetch(`${appUrl}/strict`, bearer(tokens.accessToken))).status, 200);
  await session.logout();
  assert.equal((await fetch(`${appUrl}/notes`, bearer(tokens.accessToken))).status, 200);
  assert.equal((await fetch(`${appUrl}/strict`, bearer(tokens.accessToken))).status, 401);
});

test("cookie storage keeps the tokens in an httpOnly cookie", async () => {
  const { address } = await signedIn();
  const login = await fetch(`${appUrl}/login`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ email: address, password: PASSWORD }),
  });
  const cookie = login.headers.get("set-cookie");
  assert.match(cookie, /HttpOnly/);
  assert.match(cookie, /SameSite=Lax/);
  const profile = await fetch(`${appUrl}/profile`, { headers: { Cookie: cookie.split(";")[0] } });
  assert.equal((await profile.json()).email, address);
  const edited = await fetch(`${appUrl}/profile`, { headers: { Cookie: "authsvc_tokens=%7Bnot-json" } });
  assert.equal(edited.status, 401);
});
