// Express (and any (req, res, next) framework) helpers: route protection by access
// token, and a token storage that keeps an end user's tokens in httpOnly cookies.

import { createRemoteJWKSet, jwtVerify } from "jose";

function problem(res, status, detail) {
  if (status === 401) res.setHeader("WWW-Authenticate", 'Bearer error="invalid_token"');
  res.statusCode = status;
  res.setHeader("Content-Type", "application/problem+json");
  res.end(JSON.stringify({ type: "about:blank", title: status === 401 ? "Unauthorized" : "Forbidden", status, detail }));
}

/**
 * Verify access tokens locally against the tenant's JWKS (keys cached, refetched on an
 * unknown kid). A local check misses a logout until the token expires; with
 * `checkRevocation: true` each request also asks authsvc's /auth/validate.
 */
export function tokenVerifier({ baseUrl, tenant, audience, checkRevocation = false, fetch = globalThis.fetch }) {
  const base = baseUrl.replace(/\/$/, "");
  const jwks = createRemoteJWKSet(new URL(`${base}/t/${tenant}/.well-known/jwks.json`));
  let issuer = null;
  return async function verify(token) {
    issuer ??= fetch(`${base}/t/${tenant}/.well-known/openid-configuration`)
      .then((r) => (r.ok ? r.json() : Promise.reject(new Error(`discovery answered ${r.status}`))))
      .then((config) => config.issuer)
      .catch((error) => {
        issuer = null;
        throw error;
      });
    const { payload } = await jwtVerify(token, jwks, {
      issuer: await issuer,
      audience: audience ?? tenant,
      typ: "at+jwt",
      algorithms: ["ES256", "RS256"],
      requiredClaims: ["exp", "sub", "tid"],
    });
    if (checkRevocation) {
      const url = `${base}/api/v1/auth/validate?tenant=${encodeURIComponent(tenant)}`;
      const answer = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
      if (answer.status !== 200) throw new Error("the token was revoked");
    }
    return payload;
  };
}

/** Middleware: 401 without a valid access token, 403 without every role; sets req.auth. */
export function requireAuth(options) {
  const verify = options.verify ?? tokenVerifier(options);
  const roles = options.roles ?? [];
  return async function authsvcRequireAuth(req, res, next) {
    const [scheme, token] = (req.headers.authorization ?? "").split(" ");
    if (scheme?.toLowerCase() !== "bearer" || !token) return problem(res, 401, "Missing bearer token");
    let claims;
    try {
      claims = await verify(token);
    } catch (error) {
      return problem(res, 401, `Invalid token: ${error.message}`);
    }
    if (!roles.every((role) => (claims.roles ?? []).includes(role))) {
      return problem(res, 403, "A required role is missing");
    }
    req.auth = claims;
    next();
  };
}

function readCookie(header, name) {
  for (const part of (header ?? "").split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) return decodeURIComponent(rest.join("="));
  }
  return null;
}

/**
 * A UserSession storage for a tenant's backend: the browser holds the tokens only in an
 * httpOnly, SameSite=Lax cookie that scripts cannot read (`secure: false` for local http).
 */
export function cookieTokenStorage(req, res, { name = "authsvc_tokens", secure = true, path = "/" } = {}) {
  let tokens;
  return {
    get() {
      if (tokens === undefined) {
        try {
          tokens = JSON.parse(readCookie(req.headers.cookie, name) ?? "null");
        } catch {
          tokens = null; // a cookie someone edited is no session
        }
      }
      return tokens;
    },
    set(value) {
      tokens = value;
      const attributes = [`Path=${path}`, "HttpOnly", "SameSite=Lax", ...(secure ? ["Secure"] : [])];
      const cookie = value
        ? `${name}=${encodeURIComponent(JSON.stringify(value))}; ${attributes.join("; ")}`
        : `${name}=; Max-Age=0; ${attributes.join("; ")}`;
      const previous = [res.getHeader("Set-Cookie") ?? []].flat().filter((c) => !c.startsWith(`${name}=`));
      res.setHeader("Set-Cookie", [...previous, cookie]);
    },
  };
}
