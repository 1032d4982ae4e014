// Next.js Proxy (the file convention formerly called middleware): turns signed-out visitors
// away before any protected page or API route runs, and refreshes an expired access token
// once, transparently. Pages and route handlers still check the token themselves
// (lib/user.ts): the proxy is the convenience, not the only lock.
import { type NextRequest, NextResponse } from "next/server";

import { ACCESS_COOKIE, REFRESH_COOKIE, refresh, validate } from "./lib/authsvc";
import { clearSessionCookies, problem, setSessionCookies } from "./lib/session";

export const config = {
  // Everything but the sign-in page, the session route and Next's own assets.
  matcher: ["/((?!login|api/session|_next/|favicon.ico).*)"],
};

export async function proxy(request: NextRequest) {
  const access = request.cookies.get(ACCESS_COOKIE)?.value;
  if (access && "identity" in (await validate(access))) return NextResponse.next();
  const refreshToken = request.cookies.get(REFRESH_COOKIE)?.value;
  const pair = refreshToken ? await refresh(refreshToken) : null;
  if (pair && "identity" in (await validate(pair.accessToken))) {
    // The page rendered for this very request must see the new tokens, not the old ones.
    request.cookies.set(ACCESS_COOKIE, pair.accessToken);
    request.cookies.set(REFRESH_COOKIE, pair.refreshToken);
    const response = NextResponse.next({ request: { headers: request.headers } });
    setSessionCookies(response, request, pair);
    return response;
  }
  const response = request.nextUrl.pathname.startsWith("/api/")
    ? problem(401, "Sign in first.")
    : NextResponse.redirect(signInUrl(request));
  if (access || refreshToken) clearSessionCookies(response, request);
  return response;
}

function signInUrl(request: NextRequest): URL {
  const url = new URL("/login", request.url);
  url.searchParams.set("next", request.nextUrl.pathname + request.nextUrl.search);
  return url;
}
