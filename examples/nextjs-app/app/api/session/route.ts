// Sign-in (POST) and sign-out (DELETE): the only places the app handles a password, and
// the only places the session cookies are written apart from the proxy's refresh.
import { MfaRequiredError, ProblemError, type TokenPair } from "@authsvc/client";
import { type NextRequest, NextResponse } from "next/server";

import { ACCESS_COOKIE, REFRESH_COOKIE, authsvc, refresh } from "../../../lib/authsvc";
import { clearSessionCookies, problem, refuseForgery, setSessionCookies } from "../../../lib/session";

type SignIn = { email?: unknown; password?: unknown; mfa_token?: unknown; code?: unknown };

function exchange(body: SignIn): Promise<TokenPair> | null {
  const session = authsvc().session();
  if (typeof body.mfa_token === "string" && typeof body.code === "string") {
    return session.completeMfa(body.mfa_token, body.code);
  }
  if (typeof body.email === "string" && typeof body.password === "string") {
    return session.login({ email: body.email }, body.password);
  }
  return null;
}

export async function POST(request: NextRequest) {
  const refused = refuseForgery(request);
  if (refused) return refused;
  const body: SignIn | null = await request.json().catch(() => null);
  const signingIn = body && typeof body === "object" ? exchange(body) : null;
  if (!signingIn) return problem(400, "Send {email, password} or {mfa_token, code}.");
  try {
    const response = new NextResponse(null, { status: 204 });
    setSessionCookies(response, request, await signingIn);
    return response;
  } catch (error) {
    if (error instanceof MfaRequiredError) {
      const detail = "Enter the code from your authenticator app.";
      return NextResponse.json({ mfa_required: true, mfa_token: error.mfaToken, detail }, { status: 401 });
    }
    // authsvc's own refusal (wrong password, locked account, rate limit) is the user's to read.
    if (error instanceof ProblemError && error.status < 500) return problem(error.status, error.detail);
    throw error;
  }
}

export async function DELETE(request: NextRequest) {
  const refused = refuseForgery(request);
  if (refused) return refused;
  let token = request.cookies.get(ACCESS_COOKIE)?.value;
  const refreshToken = request.cookies.get(REFRESH_COOKIE)?.value;
  // An expired access token cannot sign out, so exchange the refresh token for one first:
  // leaving the session alive at authsvc would leave its refresh token usable.
  if (!token && refreshToken) token = (await refresh(refreshToken))?.accessToken;
  if (token) await authsvc().call("post_logout", { token }).catch(() => undefined);
  const response = new NextResponse(null, { status: 204 });
  clearSessionCookies(response, request);
  return response;
}
