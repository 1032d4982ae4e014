// Switch the session's active organization: authsvc answers with a new token pair
// carrying the organization's roles and permissions, which replaces the cookies.
import { ProblemError } from "@authsvc/client";
import { type NextRequest, NextResponse } from "next/server";

import { ACCESS_COOKIE, authsvc, tokenPair } from "../../../lib/authsvc";
import { problem, refuseForgery, setSessionCookies } from "../../../lib/session";

export async function POST(request: NextRequest) {
  const refused = refuseForgery(request);
  if (refused) return refused;
  const token = request.cookies.get(ACCESS_COOKIE)?.value;
  if (!token) return problem(401, "Sign in first.");
  const body = await request.json().catch(() => null);
  const organizationId = body?.organization_id;
  if (organizationId !== null && typeof organizationId !== "string") {
    return problem(400, "Send {organization_id} (null for none).");
  }
  try {
    const answer = await authsvc().call("post_my_active_organization", {
      token,
      body: { organization_id: organizationId },
    });
    const response = new NextResponse(null, { status: 204 });
    setSessionCookies(response, request, tokenPair(answer));
    return response;
  } catch (error) {
    // Not a member (403), an unknown or another tenant's organization (404), a dead session (401).
    if (error instanceof ProblemError && error.status < 500) return problem(error.status, error.detail);
    throw error;
  }
}
