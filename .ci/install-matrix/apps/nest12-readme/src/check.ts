// Runs the README's Quick start app as its reader would (`node dist/main.js`, Redis at $REDIS_URL), on a free port,
// and checks what the README promises: a routing call answers a pod, bad input is a 400 naming the field, the
// scheduled task fires and its run is listed, the dashboard's pages, assets and JSON answer 200 through the app's
// global ValidationPipe, and SIGTERM stops the app cleanly.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function waitFor<T>(what: string, timeoutMs: number, attempt: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await attempt().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function expect(condition: boolean, message: string): void {
  if (!condition) throw new Error(message);
}

async function main(): Promise<void> {
  const started = Date.now();
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const app = spawn(process.execPath, ['dist/main.js'], {
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  app.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  app.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = once(app, 'exit');
  const notes: string[] = [];
  try {
    await waitFor('the app answering GET /rooms/health', 30_000, async () =>
      (await fetch(`${base}/rooms/health`)).status === 200 ? true : undefined,
    );
    notes.push(`up in ${Date.now() - started} ms`);

    const routed = await fetch(`${base}/rooms/alice/route`, { method: 'POST' });
    const body = (await routed.json()) as { uid: string; pod: number };
    expect(
      routed.status === 201 && body.uid === 'alice' && body.pod === 0,
      `route: ${routed.status} ${JSON.stringify(body)}`,
    );
    const again = (await (await fetch(`${base}/rooms/alice/route`, { method: 'POST' })).json()) as { pod: number };
    expect(again.pod === body.pod, `alice moved from pod ${body.pod} to ${again.pod}`);
    notes.push(`alice routed to pod ${body.pod}, twice`);

    const bad = await fetch(`${base}/rooms/${encodeURIComponent('a{b')}/route`, { method: 'POST' });
    const refusal = (await bad.json()) as { code?: string; field?: string };
    expect(
      bad.status === 400 && refusal.code === 'INVALID_PARAMETER',
      `bad uid: ${bad.status} ${JSON.stringify(refusal)}`,
    );
    notes.push(`a bad uid is a 400 naming ${refusal.field}`);

    const run = await waitFor('a successful run of rooms-report in GET /reports/runs', 15_000, async () => {
      const runs = (await (await fetch(`${base}/reports/runs`)).json()) as { status: string; scheduledAt: string }[];
      return runs.find((entry) => entry.status === 'success');
    });
    expect(output.includes('rooms report of'), 'the handler logged nothing');
    notes.push(`rooms-report fired at ${run.scheduledAt}`);

    const page = await fetch(`${base}/ops/routing`);
    const html = await page.text();
    expect(page.status === 200 && html.includes('<html'), `GET /ops/routing: ${page.status}`);
    // The page's stylesheet, script and icon, relative to the page (`assets/dashboard.js?v=<version>`).
    const assets = new Set([...html.matchAll(/(?:src|href)="([^"]*assets\/[^"]+)"/g)].map((match) => match[1]));
    expect(assets.size >= 3, `the page links ${assets.size} assets`);
    for (const path of [...assets, '/ops/scheduler', '/ops/api/scheduler', '/ops/api/task?id=rooms-report']) {
      const response = await fetch(new URL(path.replace(/&amp;/g, '&'), `${base}/ops/routing`));
      expect(response.status === 200, `GET ${path}: ${response.status} ${await response.text()}`);
    }
    const task = (await (await fetch(`${base}/ops/api/task?id=rooms-report`)).json()) as object;
    expect(JSON.stringify(task).includes('rooms-report'), `the dashboard's task view: ${JSON.stringify(task)}`);
    notes.push(`dashboard: page, ${assets.size} assets and JSON answered 200 through the global ValidationPipe`);
  } catch (error) {
    console.error(output);
    throw error;
  } finally {
    app.kill('SIGTERM');
  }
  // Nest closes the app on SIGTERM (enableShutdownHooks), then raises the signal again: exit by SIGTERM, not a crash.
  const [code, signal] = (await exited) as [number | null, NodeJS.Signals | null];
  if (code !== 0 && signal !== 'SIGTERM') {
    console.error(output);
    throw new Error(`the app stopped with ${code ?? signal} after SIGTERM`);
  }
  console.log(`README app check passed in ${Date.now() - started} ms: ${notes.join('; ')}`);
}

main().catch((error: Error) => {
  console.error(error);
  process.exit(1);
});
