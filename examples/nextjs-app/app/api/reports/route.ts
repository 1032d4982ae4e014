// A route guarded by an organization permission: authsvc's /auth/validate?permission=
// answers 403 unless the user's active organization grants it through a role.
import { type NextRequest, NextResponse } from "next/server";

import { problem } from "../../../lib/session";
import { checkRequest } from "../../../lib/user";

export async function GET(request: NextRequest) {
  const verdict = await checkRequest(request, "reports:read");
  if ("refused" in verdict) {
    const detail = verdict.refused === 403 ? "Your organization does not grant reports:read." : "Sign in first.";
    return problem(verdict.refused, detail);
  }
  return NextResponse.json({ organization: verdict.identity.orgId, reports: [] });
}
