// Secret files are recognised by path; secrets inside ordinary files are masked, line structure kept.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { isSecretPath, maskSecrets } from '../../../src/core/files';

// Built at run time so this file does not itself look like it holds live credentials.
const GITHUB_TOKEN = 'ghp_' + 'R8x2kQ7mZ4vN1pL6sT9wY3cB5dF0gH2jK4aE';
const AWS_KEY_ID = 'AKIA' + 'IOSFODNN7EXAMPLE';
const AWS_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCY' + 'EXAMPLEKEY';
const PEM = [
  '-----BEGIN RSA PRIVATE KEY-----',
  'MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun',
  'VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK',
  '-----END RSA PRIVATE KEY-----',
].join('\n');

const lineCount = (s: string) => s.split('\n').length;

describe('isSecretPath', () => {
  const secret = [
    '.env',
    'config/.env.local',
    '.env.production',
    '.ENV',
    '.envrc',
    'certs/server.pem',
    'tls/private.key',
    'store.p12',
    'cert.pfx',
    'android/release.keystore',
    'app.jks',
    'home/.ssh/id_rsa',
    'id_rsa.pub',
    'id_ed25519',
    'keys/id_ecdsa_work',
    '.npmrc',
    'pkg/.pypirc',
    '.netrc',
    '.aws/credentials',
    'credentials',
    'credentials.json',
    'config/secrets.yml',
    'secrets.json',
    '.ssh/config',
    '.docker/config.json',
    '.git-credentials',
    'infra/terraform.tfvars',
    'infra/terraform.tfstate',
    'gcp/service-account.json',
  ];
  const notSecret = [
    '.env.example',
    '.env.sample',
    'config/.env.template',
    'src/env.ts',
    'src/environment.ts',
    'src/auth/credentials.ts',
    'src/core/files/secrets.ts',
    'docs/keys.md',
    'src/keyboard.ts',
    'README.md',
    'package.json',
    'src/rsa.ts',
    'public.pem.md',
  ];
  for (const p of secret) it(`treats ${p} as a secret file`, () => assert.equal(isSecretPath(p), true));
  for (const p of notSecret) it(`does not treat ${p} as a secret file`, () => assert.equal(isSecretPath(p), false));
});

describe('maskSecrets', () => {
  function masksOne(input: string, kind: string, secret: string) {
    const { text, masked } = maskSecrets(input);
    assert.equal(masked, 1, text);
    assert.ok(!text.includes(secret), text);
    assert.ok(text.includes(`«secret:${kind}»`), text);
    assert.equal(lineCount(text), lineCount(input));
    return text;
  }

  it('masks a PEM private-key block and keeps the line count', () => {
    const input = `before\n${PEM}\nafter\n`;
    const text = masksOne(input, 'private-key', 'MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun');
    assert.deepEqual(text.split('\n'), ['before', '«secret:private-key»', '', '', '', 'after', '']);
  });

  it('masks a private key written with escaped newlines inside a JSON string', () => {
    const input = `{"type": "service_account", "private_key": "${PEM.replace(/\n/g, '\\n')}\\n", "client_email": "a@b.iam"}\n`;
    const text = masksOne(input, 'private-key', 'MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun');
    assert.ok(text.includes('"client_email": "a@b.iam"'));
  });

  it('masks a truncated private key (no END line)', () => {
    const input = `${PEM.split('\n').slice(0, 3).join('\n')}\nconst x = 1;\n`;
    const text = masksOne(input, 'private-key', 'VTLw7onLRnrq0');
    assert.ok(text.endsWith('\nconst x = 1;\n'), text);
  });

  it('masks a GitHub token and says what it was', () => {
    const text = masksOne(`const gh = "${GITHUB_TOKEN}";\n`, 'github-token', GITHUB_TOKEN);
    assert.equal(text, 'const gh = "«secret:github-token»";\n');
  });

  it('masks an AWS access key id and a secret key in an assignment', () => {
    const input = `aws_access_key_id = ${AWS_KEY_ID}\naws_secret_access_key = ${AWS_SECRET}\nregion = eu-west-1\n`;
    const { text, masked } = maskSecrets(input);
    assert.equal(masked, 2);
    assert.equal(text, 'aws_access_key_id = «secret:aws-access-key-id»\naws_secret_access_key = «secret:aws-secret-key»\nregion = eu-west-1\n');
  });

  const tokens: Array<[string, string]> = [
    ['github-token', 'github_pat_' + '11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV'],
    ['github-token', 'gho_' + 'a'.repeat(20) + 'B'.repeat(16)],
    ['gitlab-token', 'glpat-' + 'xY3_zK9-pQ2wE5rT7uI1'],
    ['slack-token', 'xoxb-' + '123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx'],
    ['stripe-key', 'sk_live_' + '51H8xYzAbCdEfGhIjKlMnOp'],
    ['stripe-key', 'rk_live_' + '51H8xYzAbCdEfGhIjKlMnOp'],
    ['google-api-key', 'AIza' + 'SyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q'],
    ['openai-key', 'sk-' + 'Ab3De6Gh9Jk2Mn5Pq8St1Vw4Yz7Bc0Ef3Hi6Kl9No2Qr5Tu'],
    ['openai-key', 'sk-proj-' + 'Ab3De6Gh9Jk2Mn5Pq8St1Vw4Yz7Bc0Ef3Hi6Kl9No2Qr5Tu_x-Y'],
    ['anthropic-key', 'sk-ant-' + 'api03-Ab3De6Gh9Jk2Mn5Pq8St1Vw4Yz7Bc0Ef3Hi6'],
    ['npm-token', 'npm_' + 'aB3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF3hI6'],
    ['jwt', 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9' + '.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c'],
  ];
  for (const [kind, token] of tokens) {
    it(`masks a ${kind} (${token.slice(0, 8)}…)`, () => {
      masksOne(`client.configure({ credential: "${token}" })\n`, kind, token);
    });
  }

  it('masks the password of a connection string, keeping user and host', () => {
    const text = masksOne('DATABASE_URL=postgres://app:s3cr3t-P4ss@db.internal:5432/app\n', 'url-password', 's3cr3t-P4ss');
    assert.equal(text, 'DATABASE_URL=postgres://app:«secret:url-password»@db.internal:5432/app\n');
  });

  it('masks the password of a connection string without a user name', () => {
    masksOne('REDIS_URL = "redis://:Pz8w2Kq9Lm4@cache:6379/0"\n', 'url-password', 'Pz8w2Kq9Lm4');
  });

  it('masks long random strings assigned to password, secret, token or api key', () => {
    const input = [
      `secret_key_base: "3b9f1c7e2a8d4f6b0c5e9a1d7f3b8e2c"`,
      `password = "Tr0ub4dor&3xK9!qZ"`,
      `const clientSecret = 'a8f5f167f44f4964e6c998dee827110c';`,
      `"api_key": "Zx81_Qm4Lp20Rt7Vb3Nc6"`,
      `API_TOKEN: \`Jk29Ls83Md47Nf56Pg\``,
      `db_pwd := "9f8e7d6c5b4a3f2e1d"`,
    ].join('\n');
    const { text, masked } = maskSecrets(input);
    assert.equal(masked, 6, text);
    assert.equal(lineCount(text), 6);
    assert.ok(!/3b9f1c7e|Tr0ub4dor|a8f5f167|Zx81_Qm4|Jk29Ls83|9f8e7d6c/.test(text), text);
    assert.ok(text.includes('\npassword = "«secret:assigned-secret»"\n'), text);
  });

  it('leaves ordinary code alone', () => {
    const code = [
      'const token = getToken();',
      'const apiKey = process.env.API_KEY;',
      'if (password === "") throw new Error("empty");',
      'password: string;',
      'const commit = "e83c5163316f89bfbde7d9ab23ca2e25604af290";',
      'const id = "123e4567-e89b-12d3-a456-426614174000";',
      'token = "Bearer"',
      'tokenizer_name = "bert-base-uncased"',
      'const passwordHint = "Use at least 12 characters";',
      'password = "hunter2"',
      'secret_name = "my-app-secret-name"',
      'token_url = "https://auth.example.com/oauth2/v1/token"',
      'password = "${DB_PASSWORD_FROM_VAULT_1}"',
      'const url = "postgres://app:${PASSWORD}@localhost:5432/app";',
      'clone git@github.com:org/repo.git or https://github.com/org/repo',
      'mongodb://localhost:27017/db',
      '<div class="sk-circle-bounce-animation-delay"></div>',
      'sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"',
      'The header reads -----BEGIN CERTIFICATE----- and is public.',
    ].join('\n');
    assert.deepEqual(maskSecrets(code), { text: code, masked: 0 });
  });

  it('counts every secret in a file with several', () => {
    const input = `${PEM}\nGITHUB=${GITHUB_TOKEN}\nAWS=${AWS_KEY_ID}\n`;
    const { text, masked } = maskSecrets(input);
    assert.equal(masked, 3);
    assert.equal(lineCount(text), lineCount(input));
  });

  it('stays linear on 1 MB adversarial lines (run in a worker so a regression fails instead of hanging)', async function () {
    this.timeout(120_000);
    const modulePath = path.join(__dirname, '../../../src/core/files/secrets.js');
    const worker = new Worker(
      `
      const { parentPort, workerData } = require('node:worker_threads');
      const { maskSecrets } = require(workerData);
      const M = 1 << 20;
      const rep = (s) => s.repeat(Math.ceil(M / s.length));
      const inputs = [
        rep('a'), rep('eyJ'), rep('eyJa-'), rep('eyJabcdefgh.'), rep('AKIA'), 'ghp_' + rep('a'), rep('ghp_'),
        rep('sk-'), rep('sk-ant-'), rep('x://'), rep('a.b+c-'), 'x://u:' + rep(':'), 'x://' + rep('u'), rep('x://a:b@'),
        rep('password="'), 'password = "' + rep('a1'), 'password' + rep(' ') + '=', rep("token:'a1b2c3d4e5f6g7h8'"),
        rep('-----BEGIN RSA PRIVATE KEY-----'), rep('-----BEGIN PRIVATE KEY-----\\n'), rep('-----END PRIVATE KEY-----'),
        rep('-----BEGIN PRIVATE KEY-----abc-----END PRIVATE KEY-----'), rep('-'), rep('AIza'), rep('glpat-'), rep('xoxb-'),
        rep('npm_'), rep('https://hooks.slack.com/services/'), rep('aws_secret_access_key='), 'aws_secret_access_key' + rep(' '),
      ];
      const lines = inputs.map((input) => {
        const { text } = maskSecrets(input);
        return [input.split('\\n').length, text.split('\\n').length];
      });
      parentPort.postMessage(lines);
      `,
      { eval: true, workerData: modulePath },
    );
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('maskSecrets did not finish within 60 s: catastrophic backtracking?')), 60_000);
    });
    try {
      const lines = await Promise.race([new Promise<Array<[number, number]>>((resolve, reject) => worker.once('message', resolve).once('error', reject)), deadline]);
      assert.equal(lines.length, 30);
      for (const [before, after] of lines) assert.equal(after, before);
    } finally {
      clearTimeout(timer);
      await worker.terminate();
    }
  });
});
