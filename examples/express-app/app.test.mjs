// The example against a live authsvc, started (with its webhook worker) by
// tests/clients/test_examples.py, which passes AUTHSVC_URL, AUTHSVC_TENANT, AUTHSVC_ADMIN_KEY.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { AuthServiceClient } from "@authsvc/client";

import { createApp } from "./app.mjs";

const { AUTHSVC_URL: baseUrl, AUTHSVC_TENANT: tenant, AUTHSVC_ADMIN_KEY: adminKey } = process.env;
const PASSWORD = "express example password";
const authsvc = new AuthServiceClient(baseUrl, adminKey);
let server;
let appUrl;
let app;

before(async () => {
  app = createApp({ baseUrl, tenant });
  server = await new Promise((resolve) => {
    const listening = app.listen(0, "127.0.0.1", () => resolve(listening));
  });
  appUrl = `http://127.0.0.1:${server.address().port}`;
  const body = { url: `${appUrl}/webhooks/authsvc`, event_types: ["user.updated"] };
  // The secret is shown once, when the webhook is created: the app keeps it.
  app.locals.webhookSecret = (await authsvc.call("post_webhook_list", { body })).secret;
});

after(() => server.close());

test("routes admit signed-in users of the tenant only", async () => {
  await authsvc.call("post_user_list", { body: { email: "express@example.com", password: PASSWORD } });
  const { accessToken } = await authsvc.session().login({ email: "express@example.com" }, PASSWORD);
  const bearer = { headers: { Authorization: `Bearer ${accessToken}` } };
  assert.equal((await fetch(`${appUrl}/`)).status, 200);
  assert.equal((await fetch(`${appUrl}/profile`)).status, 401);
  assert.equal((await (await fetch(`${appUrl}/profile`, bearer)).json()).email, "express@example.com");
  assert.equal((await fetch(`${appUrl}/reports`, bearer)).status, 403);
});

test("a real delivery is verified and a forged one refused", async () => {
  const [user] = (await authsvc.call("get_user_list", { params: { email: "express@example.com" } })).items;
  await authsvc.call("patch_user_item", { params: { user_id: user.id }, body: { display_name: "E" } });
  const deadline = Date.now() + 30000;
  while (!app.locals.events.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(app.locals.events.map((event) => event.type), ["user.updated"]);
  const forged = await fetch(`${appUrl}/webhooks/authsvc`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "webhook-id": "msg_x", "webhook-timestamp": "1", "webhook-signature": "v1,AAAA" },
    body: "{}",
  });
  assert.equal(forged.status, 400);
});
