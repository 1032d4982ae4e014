"use client";
// The sign-in form. The password goes to this app's backend only; the tokens come back as
// httpOnly cookies, so this script never sees them.
import { type FormEvent, useState } from "react";

export function LoginForm({ next }: { next: string }) {
  const [error, setError] = useState("");
  const [mfaToken, setMfaToken] = useState("");

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = Object.fromEntries(new FormData(event.currentTarget));
    const body = mfaToken ? { mfa_token: mfaToken, code: form.code } : { email: form.email, password: form.password };
    const answer = await fetch("/api/session", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    if (answer.ok) return window.location.assign(next);
    const reply = await answer.json().catch(() => ({}));
    if (reply.mfa_required) return setMfaToken(reply.mfa_token);
    setError(reply.detail ?? "Sign-in failed.");
  }

  return (
    <form onSubmit={submit}>
      {mfaToken ? (
        <label>
          Code from your authenticator app <input name="code" autoComplete="one-time-code" required />
        </label>
      ) : (
        <>
          <label>
            Email <input name="email" type="email" autoComplete="username" required />
          </label>
          <label>
            Password <input name="password" type="password" autoComplete="current-password" required />
          </label>
        </>
      )}
      <button type="submit">Sign in</button>
      {error && <p role="alert">{error}</p>}
    </form>
  );
}
