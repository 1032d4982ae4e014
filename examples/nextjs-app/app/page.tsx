// The protected home page, rendered on the server for the signed-in user only.
import { currentUser } from "../lib/user";
import { SignOutButton } from "./sign-out-button";

export default async function Home() {
  const me = await currentUser("/");
  return (
    <main>
      <h1>Notes</h1>
      <p>
        Signed in as <strong id="email">{me.email}</strong>
      </p>
      <p>
        <a href="/api/notes">Your notes (JSON)</a>
      </p>
      <SignOutButton />
    </main>
  );
}
