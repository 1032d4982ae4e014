// Next.js settings for the authsvc example.
import { fileURLToPath } from "node:url";

/** @type {import("next").NextConfig} */
const nextConfig = {
  poweredByHeader: false,
  // @authsvc/client is linked from ../../clients/js (see package.json): the bundler's root
  // must contain it. An app installing the client from npm needs neither line.
  turbopack: { root: fileURLToPath(new URL("../..", import.meta.url)) },
  outputFileTracingRoot: fileURLToPath(new URL("../..", import.meta.url)),
};

export default nextConfig;
