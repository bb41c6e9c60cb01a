// The sample gateway (sample/src) over HTTP with supertest, on a real redis-server, against the built
// package (`nestjs-stateful-redis` resolves to dist/: run `npm run build` first), as a user's app would run.
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { ErrorCode, METRIC_NAMES, type ScheduledRunContext, StatefulExecutorService } from 'nestjs-stateful-redis';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { AppModule } from '../../sample/src/app.module';
import { setUpApp } from '../../sample/src/app.setup';
import { openSession, postAction } from '../dashboard/dashboard-client';
import type { DrainPodPayload } from '../../sample/src/scheduler/drain-pod.payload';
import { DrainPodWorkflow } from '../../sample/src/scheduler/drain-pod.workflow';
import { RedisServer } from '../harness/redis-server';

describe('sample gateway (e2e)', () => {
  let server: RedisServer;
  let app: INestApplication;
  let http: ReturnType<typeof request>;
  const ns = 'e2e';
  const svc = `/namespaces/${ns}/services/game`;

  before(async () => {
    server = await RedisServer.start();
    process.env.REDIS_URL = server.url;
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = setUpApp(moduleRef.createNestApplication({ logger: false }));
    await app.init();
    http = request(app.getHttpServer());
  });

  after(async () => {
    await app?.close();
    await server?.dispose();
    delete process.env.REDIS_URL;
  });

  async function registerPods(service: string, states: Record<number, string>): Promise<void> {
    for (const [podId, state] of Object.entries(states)) {
      await http.put(`/namespaces/${ns}/services/${service}/pods/${podId}`).send({ state, weight: 0 }).expect(200);
    }
  }

  function assertInvalid(response: request.Response, field: string): void {
    assert.equal(response.status, 400, JSON.stringify(response.body));
    assert.equal(response.body.statusCode, 400);
    assert.equal(response.body.code, ErrorCode.INVALID_PARAMETER);
    assert.equal(response.body.field, field);
    assert.match(response.body.message, /\S/);
  }

  describe('pods and workload', () => {
    it('PUT a pod state and weight, GET the pods, DELETE a pod', async () => {
      const pods = `/namespaces/${ns}/services/pods-svc/pods`;
      await http.put(`${pods}/0`).send({ state: 'running' }).expect(200);
      await http.put(`${pods}/1`).send({ state: 'draining', weight: 3 }).expect(200);
      await http.put(`${pods}/1`).send({ weight: 5 }).expect(200);
      assert.deepEqual((await http.get(pods).expect(200)).body, { 0: 'running', 1: 'draining' });
      assert.equal(await server.cli('HGET', `sf:{${ns}:state:pods-svc}weight`, '1'), '5');
      await http.delete(`${pods}/1`).expect(204);
      assert.deepEqual((await http.get(pods).expect(200)).body, { 0: 'running' });
      assert.equal(await server.cli('HGET', `sf:{${ns}:state:pods-svc}weight`, '1'), '');
    });

    it('PUT the workload state, GET the workloads of several services', async () => {
      await http.put(`/namespaces/${ns}/services/game/workload`).send({ state: 'rolling-update' }).expect(204);
      await http.put(`/namespaces/${ns}/services/chat/workload`).send({ state: 'stable' }).expect(204);
      const { body } = await http
        .get(`/namespaces/${ns}/workloads`)
        .query({ services: 'game,chat,unknown' })
        .expect(200);
      assert.deepEqual(body, { game: 'rolling-update', chat: 'stable' });
      const repeated = await http.get(`/namespaces/${ns}/workloads?services=game&services=chat`).expect(200);
      assert.deepEqual(repeated.body, { game: 'rolling-update', chat: 'stable' });
    });
  });

  describe('routing', () => {
    before(() => registerPods('game', { 0: 'running', 1: 'running', 2: 'running' }));

    it('POST route places a user on a running pod and keeps it there', async () => {
      const first = await http.post(`${svc}/route/alice`).expect(200);
      assert.equal(first.body.uid, 'alice');
      assert.ok([0, 1, 2].includes(first.body.podId));
      const again = await http.post(`${svc}/route/alice`).send({}).expect(200);
      assert.equal(again.body.podId, first.body.podId);
      assert.equal(await server.cli('GET', `sf:{${ns}:lk:alice}game`), String(first.body.podId));
      assert.equal(await server.cli('TTL', `sf:{${ns}:lk:alice}game`), '-1');
    });

    it('POST route spreads new users and avoids a draining pod', async () => {
      await registerPods('drain', { 0: 'running', 1: 'running', 2: 'running' });
      const placed = new Set<number>();
      for (const uid of ['u1', 'u2', 'u3'])
        placed.add((await http.post(`/namespaces/${ns}/services/drain/route/${uid}`).expect(200)).body.podId);
      assert.deepEqual([...placed].sort(), [0, 1, 2]);
      await http.put(`/namespaces/${ns}/services/drain/pods/0`).send({ state: 'draining' }).expect(200);
      for (const uid of ['u4', 'u5', 'u6', 'u7']) {
        const { body } = await http.post(`/namespaces/${ns}/services/drain/route/${uid}`).expect(200);
        assert.notEqual(body.podId, 0, `${uid} went to the draining pod`);
      }
      // `states` in the body widens the routable states for this call.
      await http.put(`/namespaces/${ns}/services/drain/pods/1`).send({ state: 'draining' }).expect(200);
      await http.put(`/namespaces/${ns}/services/drain/pods/2`).send({ state: 'draining' }).expect(200);
      const { body } = await http
        .post(`/namespaces/${ns}/services/drain/route/u8`)
        .send({ states: ['draining'], persistSeconds: 60 })
        .expect(200);
      assert.ok([0, 1, 2].includes(body.podId));
      const ttl = Number(await server.cli('TTL', `sf:{${ns}:lk:u8}drain`));
      assert.ok(ttl > 0 && ttl <= 60, `ttl ${ttl}`);
    });

    it('POST route answers 503 NO_ROUTABLE_POD when no pod is routable', async () => {
      const { body } = await http.post(`/namespaces/${ns}/services/empty/route/nobody`).expect(503);
      assert.equal(body.code, 'NO_ROUTABLE_POD');
      assert.equal(body.statusCode, 503);
    });

    it('PUT link mode=set links unconditionally and returns the previous pod', async () => {
      const first = await http.put(`${svc}/links/bob`).send({ podId: 1 }).expect(200);
      assert.deepEqual(first.body, { uid: 'bob', podId: 1, previousPodId: -1 });
      const second = await http.put(`${svc}/links/bob`).send({ podId: 2, mode: 'set' }).expect(200);
      assert.deepEqual(second.body, { uid: 'bob', podId: 2, previousPodId: 1 });
    });

    it('PUT link mode=try fails against a persistent link to another pod, succeeds over a temporary one', async () => {
      await http.put(`${svc}/links/carol`).send({ podId: 0 }).expect(200);
      const refused = await http.put(`${svc}/links/carol`).send({ podId: 1, mode: 'try' }).expect(200);
      assert.deepEqual(refused.body, { uid: 'carol', podId: 0, success: false });
      await http.delete(`${svc}/links/carol`).query({ lingerSeconds: 30 }).expect(200);
      const taken = await http.put(`${svc}/links/carol`).send({ podId: 1, mode: 'try' }).expect(200);
      assert.deepEqual(taken.body, { uid: 'carol', podId: 1, success: true });
    });

    it('PUT link mode=if-absent keeps an existing link', async () => {
      const created = await http
        .put(`${svc}/links/dave`)
        .send({ podId: 2, mode: 'if-absent', persistSeconds: 120 })
        .expect(200);
      assert.deepEqual(created.body, { uid: 'dave', podId: 2 });
      const kept = await http.put(`${svc}/links/dave`).send({ podId: 0, mode: 'if-absent' }).expect(200);
      assert.deepEqual(kept.body, { uid: 'dave', podId: 2 });
    });

    it('GET link reads the link; persistent=true only a persistent one; 404 NOT_LINKED otherwise', async () => {
      await http.put(`${svc}/links/erin`).send({ podId: 1, persistSeconds: 60 }).expect(200);
      assert.deepEqual((await http.get(`${svc}/links/erin`).expect(200)).body, { uid: 'erin', podId: 1 });
      const notPersistent = await http.get(`${svc}/links/erin`).query({ persistent: 'true' }).expect(404);
      assert.equal(notPersistent.body.code, 'NOT_LINKED');
      await http.put(`${svc}/links/erin`).send({ podId: 1 }).expect(200);
      assert.deepEqual((await http.get(`${svc}/links/erin?persistent=true`).expect(200)).body, {
        uid: 'erin',
        podId: 1,
      });
      assert.equal((await http.get(`${svc}/links/stranger`).expect(404)).body.code, 'NOT_LINKED');
    });

    it('DELETE link removes now, lingers, or compares the pod first', async () => {
      await http.put(`${svc}/links/frank`).send({ podId: 2 }).expect(200);
      assert.deepEqual((await http.delete(`${svc}/links/frank`).query({ lingerSeconds: 30 }).expect(200)).body, {
        uid: 'frank',
        removed: true,
      });
      const ttl = Number(await server.cli('TTL', `sf:{${ns}:lk:frank}game`));
      assert.ok(ttl > 0 && ttl <= 30, `linger ttl ${ttl}`);
      assert.equal((await http.delete(`${svc}/links/frank`).query({ podId: 1 }).expect(200)).body.removed, false);
      assert.equal((await http.delete(`${svc}/links/frank`).query({ podId: 2 }).expect(200)).body.removed, true);
      assert.equal((await http.delete(`${svc}/links/frank`).expect(200)).body.removed, false);
      assert.equal(await server.cli('EXISTS', `sf:{${ns}:lk:frank}game`, `sf:{${ns}:lk:frank}`), '0');
    });

    it('POST links:batchGet groups the linked uids by pod', async () => {
      for (const [uid, podId] of [
        ['b1', 0],
        ['b2', 1],
        ['b3', 1],
      ] as const)
        await http.put(`${svc}/links/${uid}`).send({ podId }).expect(200);
      const { body } = await http
        .post(`${svc}/links:batchGet`)
        .send({ uids: ['b3', 'nobody', 'b1', 'b2'] })
        .expect(200);
      assert.deepEqual(body, { 0: ['b1'], 1: ['b3', 'b2'] });
      assert.deepEqual((await http.post(`${svc}/links:batchGet`).send({ uids: [] }).expect(200)).body, {});
    });

    it('GET uids/:uid/links lists every service the uid is linked with', async () => {
      await http.put(`/namespaces/${ns}/services/game/links/gina`).send({ podId: 1 }).expect(200);
      await http.put(`/namespaces/${ns}/services/chat/links/gina`).send({ podId: 0, persistSeconds: 60 }).expect(200);
      assert.deepEqual((await http.get(`/namespaces/${ns}/uids/gina/links`).expect(200)).body, { game: 1, chat: 0 });
      assert.deepEqual((await http.get(`/namespaces/${ns}/uids/nobody/links`).expect(200)).body, {});
    });
  });

  describe('validation (ValidationPipe): 400 naming the field', () => {
    it('path and query parameters', async () => {
      assertInvalid(await http.put(`${svc}/pods/x`).send({ state: 'running' }), 'podId');
      assertInvalid(await http.delete(`${svc}/pods/-1`), 'podId');
      assertInvalid(await http.delete(`${svc}/links/alice`).query({ lingerSeconds: 'soon' }), 'lingerSeconds');
      assertInvalid(await http.delete(`${svc}/links/alice`).query({ podId: '1.5' }), 'podId');
      assertInvalid(await http.get(`${svc}/links/alice`).query({ persistent: 'maybe' }), 'persistent');
      assertInvalid(await http.get(`/namespaces/${ns}/workloads`), 'services');
    });

    it('request bodies', async () => {
      assertInvalid(await http.put(`${svc}/pods/0`).send({}), 'state');
      assertInvalid(await http.put(`${svc}/pods/0`).send({ weight: -1 }), 'weight');
      assertInvalid(await http.put(`${svc}/pods/0`).send({ state: 'running', colour: 'red' }), 'colour');
      assertInvalid(await http.put(`${svc}/workload`).send({ state: '' }), 'state');
      assertInvalid(await http.put(`${svc}/links/alice`).send({ podId: 'one' }), 'podId');
      assertInvalid(await http.put(`${svc}/links/alice`).send({ podId: 1, mode: 'force' }), 'mode');
      assertInvalid(await http.put(`${svc}/links/alice`).send({ podId: 1, persistSeconds: 1.5 }), 'persistSeconds');
      assertInvalid(await http.post(`${svc}/route/alice`).send({ states: [] }), 'states');
      assertInvalid(await http.post(`${svc}/links:batchGet`).send({ uids: 'alice' }), 'uids');
    });
  });

  describe('StatefulErrorFilter: StatefulError codes as HTTP statuses', () => {
    it('INVALID_PARAMETER from the library is a 400 with the field', async () => {
      const badNamespace = await http.put(`/namespaces/a:b/services/game/pods/0`).send({ state: 'running' });
      assertInvalid(badNamespace, 'namespace');
      assert.match(badNamespace.body.message, /setServiceState/);
      assertInvalid(await http.put(`${svc}/links/alice`).send({ podId: 1, persistSeconds: 0 }), 'persistSeconds');
      assertInvalid(await http.put(`${svc}/pods/2147483648`).send({ state: 'running' }), 'podId');
      assertInvalid(await http.put(`/namespaces/${ns}/services/a%7Db/workload`).send({ state: 'x' }), 'serviceName');
    });

    it('a Redis error (wrong key type) is a 500 with the code and no Redis details', async () => {
      await server.cli('SET', `sf:{${ns}:state:broken}`, 'not-a-hash');
      const { status, body } = await http.get(`/namespaces/${ns}/services/broken/pods`);
      assert.equal(status, 500);
      assert.ok([ErrorCode.LUA_SCRIPT_ERROR, ErrorCode.REDIS_OPERATION_ERROR].includes(body.code), body.code);
      assert.equal(body.statusCode, 500);
      assert.doesNotMatch(body.message, /WRONGTYPE|sf:\{/);
    });
  });

  describe('a pod swept while silent', () => {
    const swept = `/namespaces/${ns}/services/swept/pods`;

    it("the drain task is not a report of the pod; the pod's next report over HTTP answers the sweep's notice", async () => {
      const directory = app.get(StatefulExecutorService);
      await http.put(`${swept}/0`).send({ state: 'running' }).expect(200);
      await http.put(`${swept}/4`).send({ state: 'running' }).expect(200);
      for (let i = 0; i < 20; i++) await directory.setLinkedPod(ns, `swept-u${i}`, 'swept', 4, -1);
      // Pod 4 stops reporting: its last report 10 minutes ago.
      const [seconds] = (await server.cli('TIME')).split('\n');
      await server.cli('HSET', `sf:{${ns}:state:swept}seen`, '4', String((Number(seconds) - 600) * 1000));
      const [mark] = await directory.markSilentPods(ns, 'swept', 60_000);
      assert.equal(await directory.removePodLinks(ns, 'swept', 4, { mark }), 20);
      assert.equal((await directory.forgetMarkedPods(ns, [mark])).length, 1);

      // An operator's drain of pod 4 writes on its behalf: the pod stays silent and keeps its notice.
      const payload: DrainPodPayload = { namespace: ns, service: 'swept', podId: 4, once: false };
      await app.get(DrainPodWorkflow).drainPod({
        payload,
        taskId: 'drain',
        scheduledAt: new Date(),
        instanceId: 'e2e',
      } as ScheduledRunContext<DrainPodPayload>);
      const drained = (await directory.getPods(ns, 'swept')).find((pod) => pod.podId === 4);
      // Not a report: no liveness entry of its own again (a forgotten pod's state written for it has none).
      assert.deepEqual([drained?.state, drained?.lastSeenAt], ['draining', null]);

      const { body } = await http.put(`${swept}/4`).send({ state: 'running' }).expect(200);
      assert.equal(body.sweptNotice?.linksRemoved, 20);
      assert.equal(body.sweptNotice?.forgotten, true);
      assert.equal(typeof body.sweptNotice?.reclaimInMs, 'number');
      assert.deepEqual((await http.put(`${swept}/0/heartbeat`).expect(200)).body, { sweptNotice: null });
    });
  });

  describe('scheduler', () => {
    const tasks = '/scheduler/tasks';
    const drainTask = (id: string, podId: number) => ({
      id,
      name: `drain game pod ${podId}`,
      cron: '0 3 * * *',
      timeZone: 'Europe/Berlin',
      workflow: 'drain-pod',
      payload: { namespace: ns, service: 'sched', podId },
    });

    async function waitForRun(id: string, status: string): Promise<Array<Record<string, unknown>>> {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const { body } = await http.get(`${tasks}/${id}/runs`).expect(200);
        if (body.some((run: { status: string }) => run.status === status)) return body;
        assert.ok(Date.now() < deadline, `no ${status} run of ${id}: ${JSON.stringify(body)}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }

    it('GET tasks lists the decorated pod-sweep task, stored in Redis', async () => {
      const { body } = await http.get(tasks).expect(200);
      const sweep = body.find((task: { id: string }) => task.id === 'pod-sweep');
      assert.ok(sweep, JSON.stringify(body));
      assert.equal(sweep.source, 'decorator');
      assert.equal(sweep.workflow, 'pod-sweep');
      assert.equal(sweep.cron, '*/30 * * * * *');
      assert.equal(sweep.enabled, true);
      assert.equal(sweep.overlap, 'skip');
      assert.equal(sweep.misfire, 'skip');
      assert.deepEqual(sweep.retry, { attempts: 2, backoffMs: 500 });
      assert.ok(Date.parse(sweep.nextRunAt) > Date.now() - 1000, sweep.nextRunAt);
      assert.equal((await http.get('/scheduler/tasks/pod-sweep').expect(200)).body.id, 'pod-sweep');
      assert.equal(await server.cli('HEXISTS', 'sf:{gateway:sched}:tasks', 'pod-sweep'), '1');
    });

    it('GET stats: this replica, its slots and workflows', async () => {
      const { body } = await http.get('/scheduler/stats').expect(200);
      assert.equal(body.running, true);
      assert.equal(body.maxConcurrent, 5);
      assert.equal(body.availableSlots, body.maxConcurrent - body.runningTasks);
      // The sample's workflows, and the built-in dead-pod sweep of its podLiveness.sweepAfterMs.
      assert.deepEqual(body.registeredWorkflows, ['drain-pod', 'pod-sweep', 'stateful-redis.dead-pod-sweep']);
      assert.match(body.instanceId, /\S/);
    });

    it('POST tasks adds a task (201); the same id again is a 409 ALREADY_EXISTS', async () => {
      const added = await http.post(tasks).send(drainTask('drain-sched-0', 0)).expect(201);
      assert.equal(added.body.id, 'drain-sched-0');
      assert.equal(added.body.source, 'api');
      assert.equal(added.body.workflow, 'drain-pod');
      assert.equal(added.body.enabled, true);
      assert.equal(added.body.runCount, 0);
      assert.equal(added.body.lastStatus, null);
      assert.deepEqual(added.body.payload, { namespace: ns, service: 'sched', podId: 0 });
      assert.ok(Date.parse(added.body.nextRunAt) > Date.now(), added.body.nextRunAt);
      const again = await http
        .post(tasks)
        .send({ ...drainTask('drain-sched-0', 1), name: 'other' })
        .expect(409);
      assert.deepEqual(Object.keys(again.body).sort(), ['code', 'message', 'statusCode']);
      assert.equal(again.body.code, ErrorCode.ALREADY_EXISTS);
      assert.equal(again.body.statusCode, 409);
      assert.deepEqual(
        (await http.get(`${tasks}/drain-sched-0`).expect(200)).body.payload.podId,
        0,
        'the first one is kept',
      );
      const generated = await http
        .post(tasks)
        .send({ ...drainTask('x', 1), id: undefined })
        .expect(201);
      assert.match(generated.body.id, /\S/);
      await http.delete(`${tasks}/${encodeURIComponent(generated.body.id)}`).expect(204);
    });

    it('POST trigger runs the workflow once now (202); GET runs shows it, newest first', async () => {
      await registerPods('sched', { 1: 'running' });
      await http
        .post(tasks)
        .send({ ...drainTask('drain-sched-1', 1), enabled: false })
        .expect(201);
      await http.post(`${tasks}/drain-sched-1/trigger`).expect(202);
      const runs = await waitForRun('drain-sched-1', 'success');
      assert.equal(runs.length, 1, JSON.stringify(runs));
      const [run] = runs;
      assert.equal(run.taskId, 'drain-sched-1');
      assert.equal(run.attempt, 1);
      assert.equal(run.error, null);
      assert.equal(run.instanceId, (await http.get('/scheduler/stats')).body.instanceId);
      assert.ok(typeof run.durationMs === 'number' && run.durationMs >= 0);
      assert.ok(Date.parse(run.finishedAt as string) >= Date.parse(run.startedAt as string));
      assert.deepEqual((await http.get(`/namespaces/${ns}/services/sched/pods`).expect(200)).body, { 1: 'draining' });
      const task = (await http.get(`${tasks}/drain-sched-1`).expect(200)).body;
      assert.equal(task.lastStatus, 'success');
      assert.equal(task.runCount, 1);
      assert.equal(task.enabled, false, 'a trigger does not enable the schedule');
      assert.equal((await http.get(`${tasks}/drain-sched-1/runs`).query({ limit: 1 }).expect(200)).body.length, 1);
    });

    it('payload once: the drain disables its own task after running', async () => {
      await http
        .post(tasks)
        .send({ ...drainTask('drain-sched-2', 2), payload: { namespace: ns, service: 'sched', podId: 2, once: true } })
        .expect(201);
      await http.post(`${tasks}/drain-sched-2/trigger`).expect(202);
      await waitForRun('drain-sched-2', 'success');
      const deadline = Date.now() + 5000;
      let task = (await http.get(`${tasks}/drain-sched-2`).expect(200)).body;
      while (task.enabled && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        task = (await http.get(`${tasks}/drain-sched-2`).expect(200)).body;
      }
      assert.equal(task.enabled, false);
      assert.equal(task.nextRunAt, null);
    });

    it('PATCH, disable, enable, list enabledOnly, DELETE', async () => {
      const before = (await http.get(`${tasks}/drain-sched-0`).expect(200)).body;
      const patched = (
        await http
          .patch(`${tasks}/drain-sched-0`)
          .send({ cron: '30 2 * * 6', timeZone: 'UTC', jitterMs: 1000 })
          .expect(200)
      ).body;
      assert.equal(patched.cron, '30 2 * * 6');
      assert.equal(patched.jitterMs, 1000);
      assert.equal(patched.version, before.version + 1);
      assert.equal(new Date(patched.nextRunAt).getUTCDay(), 6);
      assert.equal(new Date(patched.nextRunAt).getUTCHours(), 2);
      assert.equal(new Date(patched.nextRunAt).getUTCMinutes(), 30);

      const disabled = (await http.post(`${tasks}/drain-sched-0/disable`).expect(200)).body;
      assert.equal(disabled.enabled, false);
      assert.equal(disabled.nextRunAt, null);
      const enabledOnly = (await http.get(tasks).query({ enabledOnly: true }).expect(200)).body.map(
        (task: { id: string }) => task.id,
      );
      assert.ok(!enabledOnly.includes('drain-sched-0') && enabledOnly.includes('pod-sweep'), enabledOnly.join());
      assert.ok((await http.get(tasks).expect(200)).body.some((task: { id: string }) => task.id === 'drain-sched-0'));
      const enabled = (await http.post(`${tasks}/drain-sched-0/enable`).expect(200)).body;
      assert.equal(enabled.enabled, true);
      assert.ok(Date.parse(enabled.nextRunAt) > Date.now());

      await http.delete(`${tasks}/drain-sched-0`).expect(204);
      assert.equal((await http.get(`${tasks}/drain-sched-0`).expect(404)).body.code, ErrorCode.NOT_FOUND);
      assert.equal(await server.cli('HEXISTS', 'sf:{gateway:sched}:tasks', 'drain-sched-0'), '0');
    });

    it('unknown ids are a 404 NOT_FOUND on every endpoint', async () => {
      const unknown = `${tasks}/no-such-task`;
      const calls: Array<[string, () => request.Test]> = [
        ['GET task', () => http.get(unknown)],
        ['PATCH cron', () => http.patch(unknown).send({ cron: '* * * * *' })],
        ['PATCH payload', () => http.patch(unknown).send({ payload: { namespace: ns, service: 'sched', podId: 1 } })],
        ['DELETE', () => http.delete(unknown)],
        ['enable', () => http.post(`${unknown}/enable`)],
        ['disable', () => http.post(`${unknown}/disable`)],
        ['trigger', () => http.post(`${unknown}/trigger`)],
        ['runs', () => http.get(`${unknown}/runs`)],
      ];
      for (const [label, call] of calls) {
        const response = await call();
        assert.equal(response.status, 404, `${label}: ${JSON.stringify(response.body)}`);
        assert.equal(response.body.code, ErrorCode.NOT_FOUND, label);
        assert.equal(response.body.statusCode, 404, label);
      }
    });

    it('bad input is a 400 naming the field, and nothing is written', async () => {
      const valid = drainTask('drain-bad', 3);
      // The DTOs (ValidationPipe) ...
      assertInvalid(await http.post(tasks).send({ ...valid, name: undefined }), 'name');
      assertInvalid(await http.post(tasks).send({ ...valid, cron: 5 }), 'cron');
      assertInvalid(await http.post(tasks).send({ ...valid, workflow: '' }), 'workflow');
      assertInvalid(await http.post(tasks).send({ ...valid, overlap: 'sometimes' }), 'overlap');
      assertInvalid(await http.post(tasks).send({ ...valid, misfire: 'never' }), 'misfire');
      assertInvalid(await http.post(tasks).send({ ...valid, retry: { attempts: 0 } }), 'retry.attempts');
      assertInvalid(await http.post(tasks).send({ ...valid, jitterMs: -1 }), 'jitterMs');
      assertInvalid(await http.post(tasks).send({ ...valid, payload: 'pod 3' }), 'payload');
      assertInvalid(await http.post(tasks).send({ ...valid, colour: 'red' }), 'colour');
      assertInvalid(
        await http.post(tasks).send({ ...valid, payload: { namespace: ns, service: 'sched', podId: 'three' } }),
        'payload.podId',
      );
      assertInvalid(await http.post(tasks).send({ ...valid, payload: undefined }), 'payload');
      assertInvalid(await http.patch('/scheduler/tasks/pod-sweep').send({ enabled: 'yes' }), 'enabled');
      assertInvalid(await http.get(tasks).query({ enabledOnly: 'maybe' }), 'enabledOnly');
      assertInvalid(await http.get(`${tasks}/pod-sweep/runs`).query({ limit: 0 }), 'limit');
      // ... and the library (StatefulErrorFilter).
      assertInvalid(await http.post(tasks).send({ ...valid, cron: '61 * * * *' }), 'cron');
      assertInvalid(await http.post(tasks).send({ ...valid, cron: '* * *' }), 'cron');
      assertInvalid(await http.post(tasks).send({ ...valid, timeZone: 'Mars/Olympus_Mons' }), 'timeZone');
      assertInvalid(await http.post(tasks).send({ ...valid, name: 'a{b}' }), 'name');
      assertInvalid(await http.post(tasks).send({ ...valid, id: 'x'.repeat(513) }), 'id');
      assertInvalid(await http.post(tasks).send({ ...valid, workflow: 'no-such-workflow' }), 'workflow');
      assertInvalid(await http.patch('/scheduler/tasks/pod-sweep').send({ cron: 'every minute' }), 'cron');
      assert.equal((await http.get(`${tasks}/drain-bad`)).status, 404, 'nothing was written');
      assert.equal((await http.get('/scheduler/tasks/pod-sweep').expect(200)).body.cron, '*/30 * * * * *');
    });
  });

  describe('OpenAPI', () => {
    it('serves the document and the UI at /docs', async () => {
      const { body } = await http.get('/docs-json').expect(200);
      assert.equal(body.info.title, 'Stateful routing gateway');
      for (const path of [
        '/namespaces/{ns}/services/{svc}/pods/{podId}',
        '/namespaces/{ns}/services/{svc}/pods',
        '/namespaces/{ns}/services/{svc}/workload',
        '/namespaces/{ns}/workloads',
        '/namespaces/{ns}/services/{svc}/route/{uid}',
        '/namespaces/{ns}/services/{svc}/links/{uid}',
        '/namespaces/{ns}/services/{svc}/links:batchGet',
        '/namespaces/{ns}/uids/{uid}/links',
        '/scheduler/tasks',
        '/scheduler/tasks/{id}',
        '/scheduler/tasks/{id}/enable',
        '/scheduler/tasks/{id}/disable',
        '/scheduler/tasks/{id}/trigger',
        '/scheduler/tasks/{id}/runs',
        '/scheduler/stats',
        '/health',
      ]) {
        assert.ok(body.paths[path], `${path} missing from ${Object.keys(body.paths).join(', ')}`);
      }
      assert.ok(body.components.schemas.SetLinkDto);
      for (const schema of ['AddTaskDto', 'UpdateTaskDto', 'ScheduledTaskResponse', 'TaskRunResponse'])
        assert.ok(body.components.schemas[schema], schema);
      assert.deepEqual(body.components.schemas.AddTaskDto.required.sort(), ['cron', 'name', 'workflow']);
      assert.deepEqual(body.components.schemas.AddTaskDto.properties.overlap.enum, ['skip', 'bufferOne', 'allow']);
      assert.ok(body.paths['/scheduler/tasks'].post.responses['409'], 'POST tasks documents the 409');
      assert.match((await http.get('/docs').expect(200)).text, /swagger/i);
    });
  });

  describe('metrics', () => {
    it('/metrics has call counts, error counts by code and latency histograms', async () => {
      const { text, headers } = await http.get('/metrics').expect(200);
      assert.match(headers['content-type'], /text\/plain/);
      const count = (operation: string) =>
        Number(
          new RegExp(`^${METRIC_NAMES.operations}\\{feature="routing",operation="${operation}"\\} (\\d+)$`, 'm').exec(
            text,
          )?.[1],
        );
      assert.ok(count('computeLinkedPodIfAbsent') >= 10, text);
      assert.ok(count('setLinkedPod') >= 5);
      assert.match(
        text,
        new RegExp(
          `^${METRIC_NAMES.errors}\\{feature="routing",operation="getServiceState",code="(LUA_SCRIPT_ERROR|REDIS_OPERATION_ERROR)"\\} 1$`,
          'm',
        ),
      );
      assert.match(
        text,
        new RegExp(
          `^${METRIC_NAMES.duration}_bucket\\{feature="routing",operation="getLinkedPod",le="0.001"\\} \\d+$`,
          'm',
        ),
      );
      assert.match(
        text,
        new RegExp(`^${METRIC_NAMES.duration}_count\\{feature="routing",operation="getLinkedPod"\\} [1-9]\\d*$`, 'm'),
      );
      assert.match(text, new RegExp(`^# TYPE ${METRIC_NAMES.duration} histogram$`, 'm'));
      // The scheduler's: the triggered drain runs of the scheduler tests, and this replica's free slots.
      assert.match(
        text,
        /^stateful_redis_scheduler_runs_total\{namespace="gateway",task="drain-sched-1",status="success"\} 1$/m,
      );
      assert.match(
        text,
        /^stateful_redis_scheduler_fire_lag_seconds_count\{namespace="gateway",task="drain-sched-1"\} 1$/m,
      );
      assert.match(text, /^stateful_redis_scheduler_free_slots\{namespace="gateway",instance_id="[^"]+"\} 5$/m);
    });
  });

  // Through the sample's real global ValidationPipe (whitelist, forbidNonWhitelisted, transform), its
  // StatefulErrorFilter and the dashboard's LocalOperatorGuard: none of them may change what the dashboard answers.
  describe('operator dashboard at /ops', () => {
    // The wrong-type key of the StatefulErrorFilter test would make the namespace's routing view a 500.
    before(() => server.cli('DEL', `sf:{${ns}:state:broken}`));

    it('serves every page and every asset it links, versioned', async () => {
      const home = await http.get('/ops').expect(302);
      assert.equal(home.headers.location, 'ops/routing');
      const linked = new Set<string>();
      for (const page of ['routing', 'users', 'scheduler', 'task']) {
        const { text, headers } = await http.get(`/ops/${page}`).expect(200);
        assert.match(headers['content-type'], /^text\/html/);
        assert.match(text, new RegExp(`data-api="api/${page}"`));
        for (const match of text.matchAll(/(?:src|href)="(assets\/[^"]+\?v=[0-9a-f]+)"/g)) linked.add(match[1]);
      }
      assert.deepEqual([...linked].map((url) => url.split('?')[0]).sort(), [
        'assets/dashboard.css',
        'assets/dashboard.js',
        'assets/icon.svg',
      ]);
      for (const url of linked) {
        const { headers, text, body } = await http.get(`/ops/${url}`).buffer(true).expect(200);
        assert.match(headers['cache-control'], /immutable/, url);
        assert.ok((text ?? String(body)).length > 100, url); // supertest keeps an SVG as a Buffer
      }
    });

    it('answers every JSON view with its query read, not stripped or refused', async () => {
      const routing = await http.get(`/ops/api/routing?namespace=${ns}&service=game`).expect(200);
      assert.match(routing.text, /"running"/);
      assert.match(routing.text, new RegExp(`"${ns}"`));
      const users = await http.get(`/ops/api/users?namespace=${ns}&uid=alice`).expect(200);
      assert.match(users.text, /"game"/, 'alice is linked to a pod of game');
      const scheduler = await http.get('/ops/api/scheduler').expect(200);
      assert.match(scheduler.text, /"task\?id=pod-sweep"/);
      const task = await http.get('/ops/api/task?id=pod-sweep').expect(200);
      assert.match(task.text, /pod-sweep/);
      assert.doesNotMatch(task.text, /No task with this id/);
    });

    it('runs an action with the page token', async () => {
      await app.listen(0, '127.0.0.1'); // actions check Origin against Host: one address for both
      const base = `${await app.getUrl()}/ops`;
      const session = await openSession(`${base}/scheduler`);
      const disabled = await postAction(base, 'disable-task', { id: 'pod-sweep' }, { session });
      assert.equal(disabled.status, 200, JSON.stringify(disabled.body));
      assert.equal((await http.get('/scheduler/tasks/pod-sweep').expect(200)).body.enabled, false);
      await postAction(base, 'enable-task', { id: 'pod-sweep' }, { session });
    });

    it('lets in only a browser on this machine (the sample guard)', async () => {
      await http.get('/ops/routing').set('X-Forwarded-For', '203.0.113.9').expect(403);
      await http.get('/ops/api/scheduler').set('Host', 'gateway.example').expect(421);
    });
  });

  // Last: stops Redis.
  describe('health', () => {
    it('is up with Redis, down (503) without it, and calls answer 503', async () => {
      const up = await http.get('/health').expect(200);
      assert.equal(up.body.status, 'ok');
      assert.equal(up.body.info.redis.status, 'up');
      assert.equal(up.body.info.redis.scriptsLoaded, true);
      assert.equal(up.body.info.scheduler.status, 'up');

      await server.stop();
      const down = await http.get('/health').expect(503);
      assert.equal(down.body.status, 'error');
      assert.equal(down.body.error.redis.status, 'down');
      // The scheduler says so once its loop has failed to reach Redis (it looks at least every pollIntervalMs).
      let scheduler = down.body.error.scheduler ?? down.body.info?.scheduler;
      for (const deadline = Date.now() + 5000; scheduler?.status !== 'down' && Date.now() < deadline;) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        const again = (await http.get('/health').expect(503)).body;
        scheduler = again.error.scheduler ?? again.info?.scheduler;
      }
      assert.equal(scheduler?.status, 'down', JSON.stringify(scheduler));
      assert.equal((await http.get('/scheduler/tasks')).status, 503);
      const call = await http.get(`${svc}/links/alice`);
      assert.equal(call.status, 503, JSON.stringify(call.body));
      assert.ok([ErrorCode.REDIS_CONNECTION_ERROR, ErrorCode.TIMEOUT].includes(call.body.code), call.body.code);
      assert.equal(call.body.statusCode, 503);

      const metrics = await http.get('/metrics').expect(200);
      assert.match(
        metrics.text,
        new RegExp(
          `^${METRIC_NAMES.errors}\\{feature="routing",operation="getLinkedPod",code="(REDIS_CONNECTION_ERROR|TIMEOUT)"\\} 1$`,
          'm',
        ),
      );

      await server.start();
      const deadline = Date.now() + 15_000;
      let status = 0;
      while (Date.now() < deadline && status !== 200) {
        status = (await http.get('/health')).status;
        if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 200));
      }
      assert.equal(status, 200, 'health is up again after Redis is back');
    });
  });
});
