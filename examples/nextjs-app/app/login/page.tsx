// The sign-in page (public): the form posts JSON to the app's own /api/session.
import { LoginForm } from "./login-form";

export default async function Login({ searchParams }: { searchParams: Promise<{ next?: string }> }) {
  const { next } = await searchParams;
  // Only a path of this app: "//host" or "/\\host" would make an open redirect.
  const target = next && /^\/(?![\/\\])/.test(next) ? next : "/";
  return (
    <main>
      <h1>Sign in</h1>
      <LoginForm next={target} />
    </main>
  );
}
