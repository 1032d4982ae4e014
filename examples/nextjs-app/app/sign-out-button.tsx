"use client";
// Sign-out is a DELETE from this origin's script: no other site can forge it.
export function SignOutButton() {
  async function signOut() {
    await fetch("/api/session", { method: "DELETE" });
    window.location.assign("/login");
  }
  return (
    <button type="button" onClick={signOut}>
      Sign out
    </button>
  );
}
