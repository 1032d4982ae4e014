// A real OpenID Provider (panva/oidc-provider) for the federation tests.
//
// Usage: node provider.mjs <port> [mode]. Clients register themselves (dynamic
// registration), so each test names its own callback URL. The development
// login form accepts any login: the login becomes the subject, and the
// account's claims follow from it ("noemail-..." has no email,
// "unverified-..." an unverified one, "mfa-..." an amr saying it did MFA,
// "badprofile-..." profile claims no field may take).
//
// A mode makes the provider misbehave the way a broken or hostile one would:
// "foreign-keys" publishes a JWKS that lacks the key it signs ID tokens with;
// "garbage-token" answers token requests with an HTML page.
import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';

const port = Number(process.argv[2]);
const mode = process.argv[3] || 'normal';
const issuer = `http://127.0.0.1:${port}`;

function claimsFor(sub) {
  const claims = {
    sub, name: `Test ${sub}`, picture: `https://idp.example/avatars/${sub}.png`, locale: 'de-CH',
  };
  if (sub.startsWith('badprofile-')) {
    Object.assign(claims, { name: 'x'.repeat(5000), picture: 'javascript:alert(1)', locale: 'de_CH;drop' });
  }
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
  claims: { openid: ['sub', 'amr'], email: ['email', 'email_verified'], profile: ['name', 'picture', 'locale'] },
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

// How the account authenticated (the ID token's amr): the development login form
// cannot say, so the login's prefix does. "mfa-..." and "otp-..." did MFA;
// "lookalike-..." sends values that only resemble MFA; others send no amr.
function amrFor(sub) {
  if (sub.startsWith('mfa-')) return ['pwd', 'mfa'];
  if (sub.startsWith('otp-')) return ['pwd', 'otp'];
  if (sub.startsWith('lookalike-')) return ['pwd', 'MFA', 'mfa ', 'otp\u200b'];
  return undefined;
}
const { loginAccount } = provider.Session.prototype;
provider.Session.prototype.loginAccount = function loginWithAmr(details) {
  return loginAccount.call(this, { ...details, amr: details.amr ?? amrFor(details.accountId) });
};

function foreignJwks() {
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'foreign', use: 'sig', alg: 'RS256' }] };
}

if (mode === 'foreign-keys') {
  const jwks = foreignJwks();
  provider.use(async (ctx, next) => {
    if (ctx.path === '/jwks') {
      ctx.body = jwks;
      return;
    }
    await next();
  });
} else if (mode === 'garbage-token') {
  provider.use(async (ctx, next) => {
    if (ctx.path === '/token') {
      ctx.type = 'text/html';
      ctx.body = '<html><body>502 Bad Gateway</body></html>';
      return;
    }
    await next();
  });
}
provider.listen(port, '127.0.0.1', () => {
  console.log(`listening ${issuer}`);
});
