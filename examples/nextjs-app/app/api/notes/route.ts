// A protected JSON API: each signed-in user reads and adds their own notes.
import { type NextRequest, NextResponse } from "next/server";

import { problem, refuseForgery } from "../../../lib/session";
import { checkRequest } from "../../../lib/user";

// In memory for the example; a real app keys its own table by the authsvc user id.
const notesByUser = new Map<string, string[]>();

export async function GET(request: NextRequest) {
  const verdict = await checkRequest(request);
  if (!("identity" in verdict)) return problem(401, "Sign in first.");
  const user = verdict.identity;
  return NextResponse.json({ user: { id: user.id, email: user.email }, notes: notesByUser.get(user.id) ?? [] });
}

export async function POST(request: NextRequest) {
  const refused = refuseForgery(request);
  if (refused) return refused;
  const verdict = await checkRequest(request);
  if (!("identity" in verdict)) return problem(401, "Sign in first.");
  const user = verdict.identity;
  const body = await request.json().catch(() => null);
  const text = body?.text;
  if (typeof text !== "string" || !text.trim() || text.length > 1000) {
    return problem(400, "Send {text}: 1 to 1000 characters.");
  }
  const notes = [...(notesByUser.get(user.id) ?? []), text.trim()];
  notesByUser.set(user.id, notes);
  return NextResponse.json({ notes }, { status: 201 });
}
