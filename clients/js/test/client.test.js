// The client against a live authsvc, started by tests/clients/test_js_client.py, which
// passes AUTHSVC_URL, AUTHSVC_TENANT, AUTHSVC_ADMIN_KEY and AUTHSVC_AUTH_KEY.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { test } from "node:test";

import { AuthServiceClient, MemoryTokenStorage, MfaRequiredError, ProblemError } from "../src/index.js";

const { AUTHSVC_URL: baseUrl, AUTHSVC_ADMIN_KEY: adminKey, AUTHSVC_AUTH_KEY: authKey } = process.env;
const PASSWORD = "javascript client test password";
const admin = new AuthServiceClient(baseUrl, adminKey);
const frontEnd = new AuthServiceClient(baseUrl, authKey);
const email = (name) => `${name}-${randomUUID().slice(0, 8)}@example.com`;

test("every operation of the server's document is callable by its operationId", async () => {
  const document = await (await fetch(`${baseUrl}/api/v1/openapi.json`)).json();
  const ids = Object.values(document.paths).flatMap((item) =>
    Object.entries(item).filter(([m]) => m !== "parameters").map(([, op]) => op.operationId),
  );
  assert.deepEqual(Object.keys(await admin.operations()).sort(), ids.sort());
  const user = await admin.call("post_user_list", { body: { email: email("ops") } });
  const read = await admin.call("get_user_item", { params: { user_id: user.id } });
  assert.equal(read.email, user.email);
});

test("problems are ProblemError with status, type and errors", async () => {
  const invalid = await admin.call("post_user_list", { body: { email: "nope" } }).catch((e) => e);
  assert.ok(invalid instanceof ProblemError);
  assert.equal(invalid.status, 422);
  assert.equal(invalid.type, "urn:authsvc:problem:validation-failed");
  assert.ok(invalid.errors.email);
  const forbidden = await frontEnd.call("get_user_list").catch((e) => e);
  assert.equal(forbidden.status, 403);
  const forged = await new AuthServiceClient(baseUrl, "ak_forged").call("get_user_list").catch((e) => e);
  assert.equal(forged.status, 401);
  await assert.rejects(admin.call("get_user_list", { params: { colour: "red" } }), TypeError);
  await assert.rejects(admin.call("get_me"), TypeError);
});

test("pagination walks every page", async () => {
  const prefix = `pg${randomUUID().slice(0, 6)}`;
  for (let n = 0; n < 5; n++) await admin.call("post_user_list", { body: { email: `${prefix}${n}@example.com` } });
  const seen = [];
  for await (const row of admin.paginate("get_user_list", { limit: 2, q: prefix })) seen.push(row.email);
  assert.equal(seen.length, 5);
});

test("sign-up, sign-in, me, sessions and logout", async () => {
  const session = frontEnd.session();
  const address = email("ada");
  await session.register(address, PASSWORD, { display_name: "Ada" });
  const tokens = await session.login({ email: address }, PASSWORD);
  assert.equal((await session.getCurrentUser()).display_name, "Ada");
  const [current] = await session.listSessions();
  assert.equal(current.current, true);
  await session.logout();
  const replay = frontEnd.session({ storage: new MemoryTokenStorage(tokens) });
  const refused = await replay.getCurrentUser().catch((e) => e);
  assert.equal(refused.status, 401);
});

test("an expiring token is refreshed once for concurrent calls", async () => {
  const session = frontEnd.session();
  const address = email("grace");
  await session.register(address, PASSWORD);
  const tokens = await session.login({ email: address }, PASSWORD);
  const storage = new MemoryTokenStorage({ ...tokens, expiresAt: 0 });
  const writes = [];
  const set = storage.set.bind(storage);
  storage.set = (value) => writes.push(value) && set(value);
  const resumed = frontEnd.session({ storage });
  const answers = await Promise.all([1, 2, 3, 4].map(() => resumed.getCurrentUser()));
  assert.ok(answers.every((me) => me.email === address));
  assert.equal(writes.length, 1);
  assert.notEqual(writes[0].refreshToken, tokens.refreshToken);
});

test("MFA sign-in raises MfaRequiredError and completes with a recovery code", async () => {
  const session = frontEnd.session();
  const address = email("mfa");
  await session.register(address, PASSWORD);
  await session.login({ email: address }, PASSWORD);
  const { secret } = await session.call("post_my_totp");
  const code = await totp(secret);
  const { recovery_codes: codes } = await session.call("post_my_totp_confirm", { body: { code } });
  await session.logout();
  const pending = await session.login({ email: address }, PASSWORD).catch((e) => e);
  assert.ok(pending instanceof MfaRequiredError);
  await session.completeMfa(pending.mfaToken, codes[0]);
  assert.equal((await session.getCurrentUser()).email, address);
});

// A TOTP code from the secret (RFC 6238, SHA-1, 30 s, 6 digits) with node's crypto.
async function totp(secret) {
  const { createHmac } = await import("node:crypto");
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const char of secret.replace(/=+$/, "")) bits += alphabet.indexOf(char).toString(2).padStart(5, "0");
  const key = Buffer.from(bits.match(/.{8}/g).map((byte) => parseInt(byte, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 30000)));
  const digest = createHmac("sha1", key).update(counter).digest();
  const offset = digest[digest.length - 1] & 15;
  return String((digest.readUInt32BE(offset) & 0x7fffffff) % 1000000).padStart(6, "0");
}
