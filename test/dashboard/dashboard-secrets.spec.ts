// What the task page shows of payloads and run errors, over HTTP on a real redis-server: nothing but their type
// and size without a guard; behind one, everything but secrets: the ones an outside review found shown (JSON in
// an error, quoted values, an Authorization scheme other than Bearer/Basic, `#` in a value, `@` in a URL
// password), the credentials of the app's own Redis connection (password and ACL user), and whatever the
// app's `redact` rules take out.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { StatefulDashboardOptions } from '../../lib';
import { CapturingLogger } from '../harness/capturing-logger';
import { RedisServer } from '../harness/redis-server';
import { pollUntil } from '../harness/wait';
import { DashboardApp, startDashboardApp } from './dashboard-app';
import { get } from './dashboard-client';

const PATH = '/ops';
const allowAll = { canActivate: () => true };

/** The secrets of the review's repro, each where it put it. */
const SECRETS = {
  jsonInError: 'json-pw-1111',
  quotedInError: 'quoted pw 2222',
  tokenInError: 'ghp_tokenInError3333',
  hashInPayload: 'HASH4444',
  quotedInPayload: 'q-payload-5555',
  yamlInPayload: 'yaml-pw-6666',
  atInUrl: 'at-in-url-7777',
};

const ERROR =
  `upstream 401: {"user":"bob","password":"${SECRETS.jsonInError}"}; ` +
  `Server=db;Password="${SECRETS.quotedInError}"; Authorization: Token ${SECRETS.tokenInError}`;

const PAYLOAD = {
  endpoint: `https://crm.example/api?password=ab#${SECRETS.hashInPayload}`,
  dsn: `Server=db;User Id=app;Password="${SECRETS.quotedInPayload}";`,
  config: `database:\n  password: "${SECRETS.yamlInPayload}"`,
  cache: `redis://app:p@${SECRETS.atInUrl}@cache:6379`,
};

interface Shown {
  /** The whole JSON answer of the task page. */
  body: string;
  payload: { text: string; title?: string };
  error: { text: string; title?: string };
}

/** An app whose workflow fails with `error`, a task with `payload` that ran once, and the task page's answer. */
async function taskPage(
  redisUrl: string,
  dashboard: StatefulDashboardOptions,
  payload: unknown,
  error: string,
  logger?: CapturingLogger,
): Promise<Shown> {
  const namespace = `secrets-${Math.random().toString(36).slice(2, 8)}`;
  let app: DashboardApp | undefined;
  try {
    app = await startDashboardApp({ redisUrl, dashboard, scheduler: { namespace }, logger });
    const scheduler = app.scheduler!;
    scheduler.registerWorkflow('sync', async () => {
      throw new Error(error);
    });
    await scheduler.addTask({ id: 'sync-crm', name: 'sync-crm', cron: '0 3 * * *', workflow: 'sync', payload });
    await scheduler.triggerTask('sync-crm');
    await pollUntil('a failed run', 10_000, async () =>
      (await scheduler.getRuns('sync-crm')).some((run) => run.status === 'failed') ? true : 'not yet',
    );
    const response = await get(`${app.origin}${PATH}/api/task?id=sync-crm`);
    assert.equal(response.status, 200);
    const body = await response.text();
    const view = JSON.parse(body) as {
      blocks: Array<{
        id: string;
        facts?: Array<{ label: string; value: Shown['payload'] }>;
        rows?: Array<{ cells: Array<Shown['error']> }>;
      }>;
    };
    const payloadCell = view.blocks.find((block) => block.id === 'task')!.facts!.find((f) => f.label === 'Payload')!;
    const errorCell = view.blocks.find((block) => block.id === 'runs')!.rows![0].cells[6];
    return { body, payload: payloadCell.value, error: errorCell };
  } finally {
    await app?.close();
  }
}

function assertNoSecret(body: string, secrets: Record<string, string>): void {
  const shown = Object.entries(secrets).filter(([, secret]) => body.includes(secret));
  assert.deepEqual(shown, [], 'secrets shown');
}

describe('dashboard secrets in payloads and run errors', () => {
  let server: RedisServer;

  before(async () => {
    server = await RedisServer.start();
  });

  after(() => server?.dispose());

  it('shows neither payloads nor run errors without a guard: their type and size only', async () => {
    const shown = await taskPage(server.url, { path: PATH }, PAYLOAD, ERROR);
    assertNoSecret(shown.body, SECRETS);
    for (const text of ['crm.example', 'upstream', 'Server=db', 'endpoint'])
      assert.ok(!shown.body.includes(text), `${text}: not shown at all`);
    assert.equal(shown.payload.text, `[hidden: object, 4 keys, ${JSON.stringify(PAYLOAD).length} bytes]`);
    assert.equal(shown.error.text, `[hidden: ${ERROR.length} chars]`);
    assert.match(shown.payload.title!, /only behind a guard/);
    assert.match(shown.error.title!, /only behind a guard/);
  });

  it('redacts, behind a guard, the secrets an outside review found shown, and shows the rest', async () => {
    const shown = await taskPage(server.url, { path: PATH, guard: allowAll }, PAYLOAD, ERROR);
    assertNoSecret(shown.body, SECRETS);
    assert.equal(
      shown.error.text,
      'upstream 401: {"user":"bob","password":"[redacted: string, 12 chars]"}; ' +
        'Server=db;Password="[redacted]"; Authorization: [redacted]',
    );
    assert.equal(
      shown.payload.text,
      JSON.stringify({
        endpoint: 'https://crm.example/api?password=[redacted]',
        dsn: 'Server=db;User Id=app;Password="[redacted]";',
        config: 'database:\n  password: "[redacted]"',
        cache: 'redis://app:[redacted]@cache:6379',
      }),
    );
  });

  it("removes the Redis password and ACL user of the app's connection from what it shows", async () => {
    const acl = await RedisServer.start();
    try {
      const [user, password] = ['dash-operator', 'Dash-pw-9f31'];
      await acl.cli('ACL', 'SETUSER', user, 'on', `>${password}`, '~*', '&*', '+@all');
      const url = `redis://${user}:${password}@127.0.0.1:${new URL(acl.url).port}`;
      const shown = await taskPage(
        url,
        { path: PATH, guard: allowAll },
        { note: `runs as ${user}`, login: `${user}/${password}` },
        `login of ${user} refused (${password})`,
      );
      assertNoSecret(shown.body, { user, password });
      assert.equal(shown.error.text, 'login of [redacted] refused ([redacted])');
      assert.equal(shown.payload.text, '{"note":"runs as [redacted]","login":"[redacted]/[redacted]"}');
    } finally {
      await acl.dispose();
    }
  });

  it("applies the app's redact rules to the payload and the error, and hides a value they fail on", async () => {
    const ssn = (text: string) => text.replace(/\b\d{3}-\d{2}-\d{4}\b/g, '[ssn]');
    const shown = await taskPage(
      server.url,
      { path: PATH, guard: allowAll, redact: ssn },
      { customer: 'ann', ssn: '123-45-6789' },
      'no customer 987-65-4321',
    );
    assert.equal(shown.payload.text, '{"customer":"ann","ssn":"[ssn]"}');
    assert.equal(shown.error.text, 'no customer [ssn]');

    const logger = new CapturingLogger();
    const failing = () => {
      throw new Error('rule failed on 123-45-6789');
    };
    const hidden = await taskPage(
      server.url,
      { path: PATH, guard: allowAll, redact: failing },
      { ssn: '123-45-6789' },
      'no customer 987-65-4321',
      logger,
    );
    assert.ok(!hidden.body.includes('6789') && !hidden.body.includes('4321'), hidden.body);
    assert.match(hidden.payload.text, /^\[hidden: object, 1 key, \d+ bytes\]$/);
    assert.match(hidden.payload.title!, /redact option failed/);
    assert.match(hidden.error.text, /^\[hidden: \d+ chars\]$/);
    const warnings = logger.find('warn', /redact option/);
    assert.equal(warnings.length, 1, 'said once');
    assert.ok(!JSON.stringify(warnings).includes('6789'), "the rule's error message is not logged");
  });
});
