// The app's one door to authsvc: settings, cookie names, token checks and refreshes.
// Server-only: it reads AUTHSVC_AUTH_KEY, which must never reach a browser bundle.
import { AuthServiceClient, MemoryTokenStorage, ProblemError, type TokenPair } from "@authsvc/client";

export const ACCESS_COOKIE = "authsvc_access";
export const REFRESH_COOKIE = "authsvc_refresh";

function setting(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (see .env.example)`);
  return value;
}

export const authsvcUrl = () => setting("AUTHSVC_URL").replace(/\/$/, "");
export const tenantSlug = () => setting("AUTHSVC_TENANT");

let client: AuthServiceClient | undefined;

/** The tenant's `auth`-scope client (sign-in, refresh, sign-out, /me). */
export function authsvc(): AuthServiceClient {
  client ??= new AuthServiceClient(authsvcUrl(), setting("AUTHSVC_AUTH_KEY"));
  return client;
}

/** The identity authsvc vouches for, from the X-User-* headers of /auth/validate. */
export interface Identity {
  id: string;
  email: string;
  roles: string[];
  orgId: string | null;
  orgPermissions: string[];
}

/** authsvc's verdict on a token: who it is, or the status to answer with. */
export type Verdict = { identity: Identity } | { refused: 401 | 403 };

/**
 * Ask authsvc whether an access token is valid now (a signed-out session's token is not)
 * and belongs to this app's tenant; with `permission`, whether the token's active
 * organization grants it (403 when not).
 */
export async function validate(token: string, permission?: string): Promise<Verdict> {
  const query = new URLSearchParams({ tenant: tenantSlug() });
  if (permission) query.set("permission", permission);
  const answer = await fetch(`${authsvcUrl()}/api/v1/auth/validate?${query}`, {
    headers: { Authorization: `Bearer ${token}` },
    cache: "no-store",
  });
  if (answer.status === 401) return { refused: 401 };
  if (answer.status === 403) return { refused: 403 };
  // An outage is no verdict: treating it as "signed out" would clear every visitor's cookies.
  if (answer.status !== 200) throw new Error(`authsvc's /auth/validate answered ${answer.status}`);
  const list = (name: string) => (answer.headers.get(name) ?? "").split(",").filter(Boolean);
  return {
    identity: {
      id: answer.headers.get("X-User-Id") ?? "",
      email: answer.headers.get("X-User-Email") ?? "",
      roles: list("X-User-Roles"),
      orgId: answer.headers.get("X-Org-Id") || null,
      orgPermissions: list("X-Org-Permissions"),
    },
  };
}

/** A token pair from authsvc's token answer (sign-in, refresh, organization switch). */
export function tokenPair(answer: { access_token?: string; refresh_token?: string; expires_in?: number }): TokenPair {
  return {
    accessToken: answer.access_token ?? "",
    refreshToken: answer.refresh_token ?? "",
    expiresAt: Date.now() + (answer.expires_in ?? 0) * 1000,
  };
}

// Refresh tokens rotate and authsvc revokes a session whose spent token comes back, so
// requests racing with the same refresh cookie (a page and its prefetches) must share one
// exchange. Kept briefly so that a request arriving just after still gets the new pair.
const exchanges = new Map<string, Promise<TokenPair | null>>();
const SHARE_MS = 10_000;

/** A new token pair for a refresh token, or `null` when authsvc refuses it (an outage throws). */
export function refresh(refreshToken: string): Promise<TokenPair | null> {
  let exchange = exchanges.get(refreshToken);
  if (!exchange) {
    const storage = new MemoryTokenStorage({ accessToken: "", refreshToken, expiresAt: 0 });
    exchange = authsvc()
      .session({ storage })
      .refresh()
      .catch((error) => {
        if (error instanceof ProblemError && [400, 401, 422].includes(error.status)) return null;
        exchanges.delete(refreshToken);
        throw error;
      });
    exchanges.set(refreshToken, exchange);
    setTimeout(() => exchanges.delete(refreshToken), SHARE_MS).unref();
  }
  return exchange;
}
