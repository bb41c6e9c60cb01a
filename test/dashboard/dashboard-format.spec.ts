// The dashboard's pure parts: time and size formatting, payload and error previews, cron in words, HTML
// escaping of the page frame, and the request checks behind CSRF (cookies, Origin, HTTPS).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { escapeHtml } from '../../lib/dashboard/page/html-escape';
import { renderPage } from '../../lib/dashboard/page/dashboard-page';
import { isAllowedHost } from '../../lib/dashboard/security/allowed-hosts';
import { cookies, isHttps, isSameOrigin } from '../../lib/dashboard/security/http-request';
import { describeCron } from '../../lib/dashboard/views/cron-description';
import { errorPreview, payloadPreview } from '../../lib/dashboard/redaction/payload-preview';
import {
  formatDuration,
  formatInZone,
  formatRelative,
  formatUtc,
  truncate,
} from '../../lib/dashboard/views/view-format';

const request = (headers: Record<string, string | string[]>, encrypted?: boolean) => ({
  headers,
  socket: encrypted === undefined ? undefined : { encrypted },
});

describe('dashboard formatting and request checks', () => {
  it('formats spans in their two largest units, and moments relative to now', () => {
    const cases: Array<[number, string]> = [
      [0, '0 ms'],
      [850, '850 ms'],
      [2_460, '2.4 s'],
      [42_000, '42 s'],
      [60_000, '1 min'],
      [184_000, '3 min 4 s'],
      [7_500_000, '2 h 5 min'],
      [273_600_000, '3 d 4 h'],
    ];
    for (const [ms, text] of cases) assert.equal(formatDuration(ms), text, String(ms));
    assert.equal(formatRelative(10_000, 10_400), 'now');
    assert.equal(formatRelative(15_000, 10_000), 'in 5.0 s');
    assert.equal(formatRelative(10_000, 190_000), '3 min ago');
    assert.equal(formatUtc(Date.UTC(2025, 5, 1, 12, 0, 3)), '2025-06-01 12:00:03 UTC');
    assert.equal(formatInZone(Date.UTC(2025, 5, 1, 12, 0, 3), 'Europe/Berlin'), '2025-06-01 14:00:03');
    assert.equal(formatInZone(Date.UTC(2025, 0, 1, 0, 30), 'America/New_York'), '2024-12-31 19:30:00');
    assert.equal(truncate('abcdef', 6), 'abcdef');
    assert.equal(truncate('abcdefgh', 3), 'abc… (5 more characters)');
  });

  it('redacts secrets in payloads and errors, and cuts them', () => {
    const payload = {
      table: 'users',
      password: 'p1',
      nested: [{ apiKey: 'k1', API_KEY: 'k2', accessToken: 't1', clientSecret: 's1', keep: 'visible' }],
      url: 'postgres://admin:pw-in-url@db:5432/app',
    };
    const shown = payloadPreview(payload);
    for (const secret of ['p1', 'k1', 'k2', 't1', 's1', 'pw-in-url'])
      assert.ok(!shown.includes(`"${secret}`) && !shown.includes(`:${secret}@`), secret);
    assert.match(shown, /"keep":"visible"/);
    assert.match(shown, /"table":"users"/);
    assert.equal(payloadPreview(null), 'null');
    assert.equal(payloadPreview(undefined), 'null');
    let deep: unknown = 'bottom';
    for (let level = 0; level < 30; level++) deep = { level: deep };
    assert.match(payloadPreview(deep), /\[nested too deep\]/);
    assert.match(payloadPreview({ rows: 'x'.repeat(3_000) }), /… \(\d+ more characters\)$/);
    assert.equal(errorPreview('failed at redis://u:secret-pass@h:1'), 'failed at redis://u:[redacted]@h:1');
    assert.equal(errorPreview('e'.repeat(400)).length, 300 + '… (100 more characters)'.length);
  });

  it('hides the value of every key named like a secret, showing its type and size only', () => {
    const names = [
      'pwd',
      'passwd',
      'accessKey',
      'signingKey',
      'signing_key',
      'SIGNING-KEY',
      'key',
      'privateKeys',
      'jwt',
      'cookie',
      'Set-Cookie',
      'session',
      'sessionId',
      'auth',
      'authorization',
      'signature',
      'webhookSecret',
      'refresh_token',
      'credentials',
      'x-api-key',
    ];
    for (const name of names) {
      const shown = payloadPreview({ [name]: 'SECRET-VALUE-123' });
      assert.equal(shown, `{"${name}":"[redacted: string, 16 chars]"}`, name);
    }
    assert.equal(
      payloadPreview({ token: 12345, apiKey: { id: 1, value: 'x' }, keys: ['a', 'b', 'c'], auth: true, secret: null }),
      '{"token":"[redacted: number]","apiKey":"[redacted: object, 2 keys]","keys":"[redacted: array, 3 items]",' +
        '"auth":"[redacted: boolean]","secret":null}',
    );
    assert.equal(
      payloadPreview({ table: 'users', rows: 3, dryRun: false, tags: ['a'] }),
      '{"table":"users","rows":3,"dryRun":false,"tags":["a"]}',
      'the values of other keys are shown',
    );
  });

  it('redacts secrets inside shown values: bearer tokens, connection strings, query parameters, URLs, JSON', () => {
    const cases: Array<[string, string]> = [
      ['Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig', 'Bearer [redacted]'],
      ['Basic dXNlcjpwYXNz', 'Basic [redacted]'],
      ['Server=db;User Id=app;Password=hunter2;Database=x', 'Server=db;User Id=app;Password=[redacted];Database=x'],
      ['host=db password = hunter2 sslmode=require', 'host=db password = [redacted] sslmode=require'],
      [
        'https://api.example/v1?api_key=K-123&page=2&token=T-456',
        'https://api.example/v1?api_key=[redacted]&page=2&token=[redacted]',
      ],
      ['https://ghp_abcdef123@github.com/org/repo.git', 'https://[redacted]@github.com/org/repo.git'],
      ['amqp://user:hunter2@mq:5672/vhost', 'amqp://user:[redacted]@mq:5672/vhost'],
      ['https://example.com:8443/a?b=c', 'https://example.com:8443/a?b=c'],
    ];
    for (const [value, expected] of cases) {
      assert.equal(payloadPreview({ value }), JSON.stringify({ value: expected }), value);
      assert.equal(errorPreview(`failed: ${value}`), `failed: ${expected}`, `error ${value}`);
    }
    const json = JSON.stringify({ user: 'ann', password: 'hunter2', nested: { jwt: 'abc.def.ghi', n: 1 } });
    assert.equal(
      payloadPreview({ body: json }),
      JSON.stringify({
        body: JSON.stringify({
          user: 'ann',
          password: '[redacted: string, 7 chars]',
          nested: { jwt: '[redacted: string, 11 chars]', n: 1 },
        }),
      }),
      'a string holding JSON is parsed and redacted',
    );
    assert.equal(payloadPreview('[{"token":"t"}]'), JSON.stringify('[{"token":"[redacted: string, 1 char]"}]'));
    assert.equal(payloadPreview({ note: '{not json' }), '{"note":"{not json"}');
  });

  it('redacts what an outside review found shown: JSON in text, quoted values, any Authorization, # and @', () => {
    const cases: Array<[string, string]> = [
      [
        'upstream 401: {"user":"bob","password":"json-pw-1111"}; retry',
        'upstream 401: {"user":"bob","password":"[redacted: string, 12 chars]"}; retry',
      ],
      ['{"credentials":{"u":"a","p":"b"}} after', '{"credentials":"[redacted: object, 2 keys]"} after'],
      ['failed {retry 2}: {"token":"t"}', 'failed {retry 2}: {"token":"[redacted: string, 1 char]"}'],
      ['half {"password":"cut', 'half {"password":"[redacted]'],
      ['Server=db;Password="quoted pw 2222"; x', 'Server=db;Password="[redacted]"; x'],
      ["secret='single quoted' and more", "secret='[redacted]' and more"],
      ['Password="unterminated secret', 'Password="[redacted]'],
      ['database:\n  password: "yaml-pw-6666"\n  host: db', 'database:\n  password: "[redacted]"\n  host: db'],
      ['Authorization: Token ghp_abc123; next', 'Authorization: [redacted]; next'],
      ['proxy-authorization=Digest username="u", response="r"', 'proxy-authorization=[redacted]'],
      ['https://crm.example/api?password=ab#HASH4444', 'https://crm.example/api?password=[redacted]'],
      ['https://crm.example/api?token=ab?cd&page=2', 'https://crm.example/api?token=[redacted]&page=2'],
      ['redis://app:p@at-in-url-7777@cache:6379/0', 'redis://app:[redacted]@cache:6379/0'],
      ['https://tok@en@github.com/org', 'https://[redacted]@github.com/org'],
      ['see https://example.com/users/a@b.com', 'see https://example.com/users/a@b.com'],
      ['git https://hunter2-s3cr3t:x-oauth-basic@github.com/o/r', 'git https://[redacted]@github.com/o/r'],
      ['https://ghp1234567890abcdefghijklmnop:x@github.com', 'https://[redacted]@github.com'],
    ];
    for (const [value, expected] of cases) {
      assert.equal(errorPreview(value), expected, value);
      assert.equal(payloadPreview({ value }), JSON.stringify({ value: expected }), `payload ${value}`);
    }
  });

  it('reads JSON stringified twice (an HTTP client error body) with its quotes unescaped once', () => {
    const secret = 'hunter2-s3cr3t';
    const twice = JSON.stringify(JSON.stringify({ user: 'bob', password: secret }));
    for (const shown of [
      errorPreview(`upstream 400: body=${twice}`),
      errorPreview(`login failed with ${twice}`),
      payloadPreview({ note: `sent ${JSON.stringify(JSON.stringify({ api_key: secret }))}` }),
    ]) {
      assert.ok(!shown.includes(secret), shown);
      assert.match(shown, /redacted/);
    }
  });

  it('says a cron in words, or nothing for what cronstrue cannot read', () => {
    assert.equal(describeCron('0 9 * * 1-5'), 'At 09:00, Monday through Friday');
    assert.equal(describeCron('*/2 * * * * *'), 'Every 2 seconds');
    assert.equal(describeCron('not a cron'), null);
  });

  it('escapes the page frame, and leaves no inline script in it', () => {
    assert.equal(
      escapeHtml(`<img src=x onerror="alert('1')">&`),
      '&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;&amp;',
    );
    const html = renderPage('task', { actions: true, csrfToken: '"><script>alert(1)</script>' });
    assert.ok(!html.includes('<script>alert'));
    assert.match(html, /content="&quot;&gt;&lt;script&gt;/);
    assert.match(
      html,
      /<a href="scheduler" aria-current="page">Scheduler<\/a>/,
      'a task page belongs to the scheduler',
    );
    assert.doesNotMatch(renderPage('routing', { actions: false }), /sf-dashboard-csrf|actions on/);
  });

  it('reads the host names of a request against allowedHosts', () => {
    const allowed = ['ops.example', 'localhost:3000', '[::1]', '10.0.0.7:8080'];
    const cases: Array<[Record<string, string | string[]>, boolean]> = [
      [{ host: 'ops.example' }, true],
      [{ host: 'OPS.Example:8443' }, true],
      [{ host: 'localhost:3000' }, true],
      [{ host: 'localhost:3001' }, false],
      [{ host: 'localhost' }, false],
      [{ host: '[::1]:3000' }, true],
      [{ host: '[::2]:3000' }, false],
      [{ host: '10.0.0.7:8080' }, true],
      [{ host: '10.0.0.7' }, false],
      [{ host: 'ops.example.attacker.test' }, false],
      [{ host: 'attacker.test#ops.example' }, false],
      [{ host: 'ops.example:0' }, false],
      [{}, false],
      [{ host: 'ops.example', 'x-forwarded-host': 'ops.example' }, true],
      [{ host: 'ops.example', 'x-forwarded-host': 'evil.test' }, false],
      [{ host: 'ops.example', 'x-forwarded-host': 'ops.example, evil.test' }, false],
      [{ host: 'ops.example', 'x-forwarded-host': ['ops.example', 'evil.test'] }, false],
    ];
    for (const [headers, expected] of cases)
      assert.equal(isAllowedHost(request(headers), allowed), expected, JSON.stringify(headers));
  });

  it('reads cookies, HTTPS and same-origin the way a browser sends them', () => {
    assert.deepEqual(
      [...cookies(request({ cookie: 'a=1; b = two ; a=3; junk' }))],
      [
        ['a', '1'],
        ['b', 'two'],
      ],
    );
    assert.equal(cookies(request({})).size, 0);
    assert.equal(isHttps(request({ 'x-forwarded-proto': 'https' })), false, 'a header any client can send');
    assert.equal(isHttps({ ...request({ 'x-forwarded-proto': 'https' }), protocol: 'https' }), true, 'a trusted proxy');
    assert.equal(isHttps({ ...request({}, true), protocol: 'http' }), false, "the framework's word counts");
    assert.equal(isHttps(request({}, true)), true);
    assert.equal(isHttps({ headers: {}, raw: { socket: { encrypted: true } } }), true);
    assert.equal(isHttps(request({})), false);
    const host = { host: 'ops.example:8080' };
    assert.equal(isSameOrigin(request({ ...host, origin: 'http://ops.example:8080' })), true);
    assert.equal(isSameOrigin(request({ ...host, origin: 'https://OPS.example:8080' })), true);
    assert.equal(isSameOrigin(request({ ...host, origin: 'http://ops.example:8081' })), false);
    assert.equal(isSameOrigin(request({ ...host, origin: 'http://evil.example' })), false);
    assert.equal(isSameOrigin(request({ ...host, origin: 'null' })), false);
    assert.equal(isSameOrigin(request({ ...host, origin: 'not a url' })), false);
    assert.equal(isSameOrigin(request(host)), false, 'no Origin, no Referer: refused');
    assert.equal(isSameOrigin(request({ ...host, referer: 'http://ops.example:8080/ops/routing' })), true);
    assert.equal(isSameOrigin(request({ origin: 'http://a' })), false, 'no Host');
    assert.equal(
      isSameOrigin(
        request({ host: 'internal:3000', 'x-forwarded-host': 'ops.example', origin: 'https://ops.example' }),
      ),
      true,
    );
    assert.equal(isSameOrigin(request({ host: ['ops.example'], origin: ['http://ops.example'] })), true);
  });
});
