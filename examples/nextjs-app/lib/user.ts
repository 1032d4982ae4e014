// Who is signed in, for server components and route handlers. Each checks with authsvc
// itself instead of trusting anything the proxy or the browser passed along.
import { cookies } from "next/headers";
import { redirect } from "next/navigation";
import type { NextRequest } from "next/server";

import { ACCESS_COOKIE, type Identity, authsvc, validate } from "./authsvc";

/** The signed-in user's profile from /api/v1/me, or a redirect to the sign-in page. */
export async function currentUser(next: string) {
  const token = (await cookies()).get(ACCESS_COOKIE)?.value;
  const me = token ? await authsvc().call("get_me", { token }).catch(() => null) : null;
  if (!me) redirect(`/login?next=${encodeURIComponent(next)}`);
  return me;
}

/** The identity behind a route handler's request, or `null` (answer 401). */
export async function requestIdentity(request: NextRequest): Promise<Identity | null> {
  const token = request.cookies.get(ACCESS_COOKIE)?.value;
  return token ? validate(token) : null;
}
