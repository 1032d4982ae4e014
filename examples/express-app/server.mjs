// Run: AUTHSVC_URL=https://id.example.com AUTHSVC_TENANT=acme AUTHSVC_WEBHOOK_SECRET=whsec_... node server.mjs
import { createApp } from "./app.mjs";

const { AUTHSVC_URL, AUTHSVC_TENANT, AUTHSVC_WEBHOOK_SECRET, PORT = "3000" } = process.env;
const app = createApp({ baseUrl: AUTHSVC_URL, tenant: AUTHSVC_TENANT, webhookSecret: AUTHSVC_WEBHOOK_SECRET });
app.listen(Number(PORT), () => console.log(`listening on ${PORT}`));
