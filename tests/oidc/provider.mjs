// A real OpenID Provider (panva/oidc-provider) for the federation tests.
//
// Usage: node provider.mjs <port>. Clients register themselves (dynamic
// registration), so each test names its own callback URL. The development
// login form accepts any login: the login becomes the subject, and the
// account's claims follow from it ("noemail-..." has no email,
// "unverified-..." an unverified one).
import Provider from 'oidc-provider';

const port = Number(process.argv[2]);
const issuer = `http://127.0.0.1:${port}`;

function claimsFor(sub) {
  const claims = { sub, name: `Test ${sub}` };
  if (!sub.startsWith('noemail-')) {
    claims.email = `${sub}@idp.example`;
    claims.email_verified = !sub.startsWith('unverified-');
  }
  return claims;
}

const configuration = {
  async findAccount(ctx, sub) {
    return { accountId: sub, async claims() { return claimsFor(sub); } };
  },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  // Scope claims in the ID token itself, as Entra ID and Google put them.
  conformIdTokenClaims: false,
  cookies: { keys: ['authsvc-tests-only'] },
  features: {
    devInteractions: { enabled: true },
    registration: { enabled: true },
  },
  pkce: { required: () => true },
};

const provider = new Provider(issuer, configuration);
provider.listen(port, '127.0.0.1', () => {
  console.log(`listening ${issuer}`);
});
