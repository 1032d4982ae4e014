// Who is signed in, for server components and route handlers. Each checks with authsvc
// itself instead of trusting anything the proxy or the browser passed along.
import { ProblemError } from "@authsvc/client";
import { cookies } from "next/headers";
import { redirect } from "next/navigation";
import type { NextRequest } from "next/server";

import { ACCESS_COOKIE, type Verdict, authsvc, validate } from "./authsvc";

// A refused token means "sign in again"; anything else (authsvc unreachable) is an error.
function signedOut(error: unknown): null {
  if (error instanceof ProblemError && error.status === 401) return null;
  throw error;
}

/** The signed-in user's profile from /api/v1/me, or a redirect to the sign-in page. */
export async function currentUser(next: string) {
  const token = (await cookies()).get(ACCESS_COOKIE)?.value;
  const me = token ? await authsvc().call("get_me", { token }).catch(signedOut) : null;
  if (!me) redirect(`/login?next=${encodeURIComponent(next)}`);
  return me;
}

/** authsvc's verdict on a route handler's request, optionally on an organization permission. */
export async function checkRequest(request: NextRequest, permission?: string): Promise<Verdict> {
  const token = request.cookies.get(ACCESS_COOKIE)?.value;
  return token ? validate(token, permission) : { refused: 401 };
}
