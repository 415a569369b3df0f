// A real, certified OpenID provider (npm `oidc-provider`) on loopback for the
// SSO tests, with its development login and consent pages.
//
// Usage: [OIDC_PORT=N] node oidc-provider.mjs REDIRECT_URI KEY_DIR
// Prints one JSON line {"issuer": …, "kid": …} when ready. It signs with a
// fresh RSA key whose private PEM it writes to KEY_DIR/signing.pem, so a test
// can forge tokens with the provider's own key (expired, wrong audience, …),
// and KEY_DIR/foreign.pem, a key it does not publish.
//
// Accounts: any login name works (devInteractions). The e-mail is the login
// if it contains '@' (else login@example.com); logins starting with
// "unverified" have email_verified=false; logins containing "facilities"
// are in the group "facilities".
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Provider from 'oidc-provider';

const [redirectUri, keyDir] = process.argv.slice(2);
const port = Number(process.env.OIDC_PORT || 0);
const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const kid = `k-${crypto.randomBytes(4).toString('hex')}`;
const jwk = { ...privateKey.export({ format: 'jwk' }), kid, use: 'sig', alg: 'RS256' };
fs.mkdirSync(keyDir, { recursive: true });
fs.writeFileSync(path.join(keyDir, 'signing.pem'), privateKey.export({ format: 'pem', type: 'pkcs8' }));
// A key the provider does not publish, for forging badly signed tokens.
const foreign = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
fs.writeFileSync(path.join(keyDir, 'foreign.pem'), foreign.export({ format: 'pem', type: 'pkcs8' }));

const server = (await import('node:http')).createServer();
await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: [{
    client_id: 'booking',
    client_secret: 'booking-client-secret',
    redirect_uris: [redirectUri],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  jwks: { keys: [jwk] },
  pkce: { required: () => true },
  scopes: ['openid', 'email', 'profile', 'groups'],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name'],
    groups: ['groups'],
  },
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: true } },
  async findAccount(ctx, id) {
    const email = id.includes('@') ? id : `${id}@example.com`;
    return {
      accountId: id,
      async claims() {
        return {
          sub: id,
          email,
          email_verified: !id.startsWith('unverified'),
          name: `Person ${id}`,
          groups: id.includes('facilities') ? ['facilities'] : ['staff'],
        };
      },
    };
  },
});
provider.proxy = false;
server.on('request', provider.callback());
console.log(JSON.stringify({ issuer, kid }));
// The reader may stop listening after that line: log anything else to stderr.
console.log = console.error;
console.info = console.error;
