// An Express app protected by authsvc access tokens, with a webhook receiver.
import express from "express";
import { Webhook } from "standardwebhooks";

import { requireAuth } from "@authsvc/client/express";

export function createApp({ baseUrl, tenant, webhookSecret, checkRevocation = false }) {
  const app = express();
  const signedIn = requireAuth({ baseUrl, tenant, checkRevocation });
  const admin = requireAuth({ baseUrl, tenant, checkRevocation, roles: ["admin"] });
  app.locals.events = [];
  app.locals.webhookSecret = webhookSecret;

  app.get("/", (req, res) => res.json({ hello: "anyone" }));
  app.get("/profile", signedIn, (req, res) => res.json({ user: req.auth.sub, email: req.auth.email }));
  app.get("/reports", admin, (req, res) => res.json({ reports: [] }));

  // The raw body: re-serialised JSON would no longer match the signature.
  app.post("/webhooks/authsvc", express.raw({ type: "application/json" }), (req, res) => {
    let event;
    try {
      event = new Webhook(app.locals.webhookSecret).verify(req.body, req.headers);
    } catch {
      return res.status(400).json({ error: "bad signature" });
    }
    // Delivery is at least once: de-duplicate on webhook-id.
    const id = req.headers["webhook-id"];
    if (!app.locals.events.some((seen) => seen.id === id)) app.locals.events.push({ id, type: event.type });
    res.status(204).end();
  });
  return app;
}
