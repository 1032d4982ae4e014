// The session cookies: the token pair lives only in httpOnly cookies, out of scripts' reach.
import { STATUS_CODES } from "node:http";

import { type NextRequest, NextResponse } from "next/server";
import type { TokenPair } from "@authsvc/client";

import { ACCESS_COOKIE, REFRESH_COOKIE } from "./authsvc";

/** Secure cookies whenever the browser talks https (directly or through a TLS proxy). */
export function servedOverHttps(request: NextRequest): boolean {
  return request.nextUrl.protocol === "https:" || request.headers.get("x-forwarded-proto") === "https";
}

function attributes(request: NextRequest) {
  // Lax: the cookies still come along when a user follows a link here from elsewhere,
  // but not on another site's POSTs, images or fetches.
  return { httpOnly: true, sameSite: "lax" as const, secure: servedOverHttps(request), path: "/" };
}

/** Store a token pair. The access cookie lapses with its token, so a stale one is never sent. */
export function setSessionCookies(response: NextResponse, request: NextRequest, pair: TokenPair) {
  const maxAge = Math.max(1, Math.floor((pair.expiresAt - Date.now()) / 1000));
  response.cookies.set(ACCESS_COOKIE, pair.accessToken, { ...attributes(request), maxAge });
  // A browser-session cookie: closing the browser signs out (set maxAge to keep users longer).
  response.cookies.set(REFRESH_COOKIE, pair.refreshToken, attributes(request));
}

export function clearSessionCookies(response: NextResponse, request: NextRequest) {
  for (const name of [ACCESS_COOKIE, REFRESH_COOKIE]) {
    response.cookies.set(name, "", { ...attributes(request), maxAge: 0 });
  }
}

/** An RFC 9457 problem answer, the shape authsvc itself uses. */
export function problem(status: number, detail: string): NextResponse {
  const title = STATUS_CODES[status];
  const headers: Record<string, string> = { "Content-Type": "application/problem+json" };
  if (status === 401) headers["WWW-Authenticate"] = "Bearer";
  return new NextResponse(JSON.stringify({ type: "about:blank", title, status, detail }), { status, headers });
}

function hostOf(url: string): string | null {
  try {
    return new URL(url).host;
  } catch {
    return null; // "null" (an opaque origin) or garbage
  }
}

/**
 * Cross-site request forgery guard for state-changing routes: the request must come from a
 * page of this origin (browsers always send Origin on POST and DELETE), and a body must be
 * JSON, which a cross-site form cannot send and a cross-site fetch cannot send without a
 * CORS preflight this app never grants. `null` when the request may proceed.
 */
export function refuseForgery(request: NextRequest): NextResponse | null {
  const origin = request.headers.get("origin");
  // Host, not X-Forwarded-Host, which anyone can send: a reverse proxy in front must keep
  // the browser's Host (nginx: proxy_set_header Host $host).
  const host = request.headers.get("host");
  if (!origin || !host || hostOf(origin) !== host) {
    return problem(403, "Cross-origin requests are refused.");
  }
  const type = (request.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
  if (request.method !== "DELETE" && type !== "application/json") {
    return problem(415, "Send JSON (Content-Type: application/json).");
  }
  return null;
}
