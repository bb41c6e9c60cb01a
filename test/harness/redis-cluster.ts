import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { freePort } from './free-port';
import { RedisServer } from './redis-server';
import { pollUntil } from './wait';

const execFileAsync = promisify(execFile);

export interface RedisClusterOptions {
  /** Number of slot-owning masters; `redis-cli --cluster create` needs at least 3. */
  masters?: number;
  /** Replicas per master; at least 1 so that a killed master can fail over. */
  replicasPerMaster?: number;
  /** Bound for creating the cluster and waiting until every node agrees on it. */
  timeoutMs?: number;
}

/** One line of `CLUSTER NODES`, as far as the harness cares. */
interface ClusterNodeEntry {
  id: string;
  port: number;
  flags: string[];
  /** Node id of the master, for replicas. */
  masterId?: string;
  /** Slot ranges, e.g. `['0-5460']`; importing/migrating markers dropped. */
  slots: string[];
  connected: boolean;
}

/** What every running node agreed on: slot ranges → owning port, and who replicates whom. */
interface ClusterView {
  owners: Map<string, number>;
  replicasOf: Map<number, number[]>;
}

/**
 * A real Redis Cluster of private `redis-server` processes on loopback, tuned so a
 * killed master fails over in a few seconds: node timeout of 1 s, and replicas
 * allowed to take over however long they were disconnected.
 */
export class RedisCluster {
  /** Node ids by port, so a dead node can still be recognised in other nodes' views. */
  private readonly ids = new Map<number, string>();
  /** Slot ranges (joined) each master owned at the last agreed view; a failover hands them to a replica. */
  private slotsByPort = new Map<number, string>();

  private constructor(private readonly servers: RedisServer[]) {}

  /** Every node, masters and replicas, for `new Cluster(nodes)`. */
  get nodes(): { host: string; port: number }[] {
    return this.servers.map((s) => ({ host: s.host, port: s.port }));
  }

  /** All node processes, running or not. */
  get all(): readonly RedisServer[] {
    return this.servers;
  }

  static async start({
    masters = 3,
    replicasPerMaster = 1,
    timeoutMs = 30_000,
  }: RedisClusterOptions = {}): Promise<RedisCluster> {
    if (masters < 3) throw new Error(`RedisCluster needs at least 3 masters, got ${masters}`);
    if (replicasPerMaster < 1)
      throw new Error(`RedisCluster needs at least 1 replica per master, got ${replicasPerMaster}`);
    const total = masters * (1 + replicasPerMaster);
    // Two ports per node: the default bus port (port + 10000) may not exist above 55535.
    const ports = await distinctFreePorts(total * 2);
    const started = await Promise.allSettled(
      Array.from({ length: total }, (_, i) => {
        const port = ports[2 * i];
        return RedisServer.start({
          port,
          args: [
            '--cluster-enabled',
            'yes',
            // Relative to the server's own dir, which survives stop/start: a restarted node keeps its identity.
            '--cluster-config-file',
            `nodes-${port}.conf`,
            '--cluster-port',
            String(ports[2 * i + 1]),
            '--cluster-node-timeout',
            '1000',
            '--cluster-replica-validity-factor',
            '0',
            '--cluster-allow-replica-migration',
            'no',
            // A full sync (new replica, restarted node) would otherwise wait 5 s for more replicas.
            '--repl-diskless-sync-delay',
            '0',
          ],
        });
      }),
    );
    const servers = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const cluster = new RedisCluster(servers);
    try {
      const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
      try {
        await execFileAsync(
          'redis-cli',
          [
            '--cluster',
            'create',
            ...servers.map((s) => `${s.host}:${s.port}`),
            '--cluster-replicas',
            String(replicasPerMaster),
            '--cluster-yes',
          ],
          { timeout: timeoutMs },
        );
      } catch (error) {
        const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
        throw new Error(`redis-cli --cluster create failed: ${(error as Error).message}\n${stdout}${stderr}`, {
          cause: error,
        });
      }
      for (const server of servers) cluster.ids.set(server.port, await server.cli('CLUSTER', 'MYID'));
      await cluster.waitForView('the new cluster to settle', timeoutMs, (view) => {
        if (view.owners.size !== masters) return `${view.owners.size} of ${masters} masters own slots`;
        for (const port of view.owners.values()) {
          const count = view.replicasOf.get(port)?.length ?? 0;
          if (count !== replicasPerMaster) return `master ${port} has ${count} of ${replicasPerMaster} replicas`;
        }
        return undefined;
      });
      return cluster;
    } catch (error) {
      await cluster.dispose();
      throw error;
    }
  }

  /** The running nodes that currently serve slots as master, each asked about itself. */
  async masters(): Promise<RedisServer[]> {
    return this.byOwnRole((me) => me.flags.includes('master') && me.slots.length > 0);
  }

  /** The running nodes that currently replicate a master, each asked about itself. */
  async replicas(): Promise<RedisServer[]> {
    return this.byOwnRole((me) => me.flags.includes('slave'));
  }

  /** Kills a master (SIGKILL), as a crash would, and returns at once; see `waitForFailover`. */
  async killMaster(server: RedisServer): Promise<void> {
    const me = await this.myself(server);
    if (!me.flags.includes('master') || me.slots.length === 0) {
      throw new Error(`node ${server.port} is not a slot-owning master (flags ${me.flags.join(',')})`);
    }
    this.slotsByPort.set(server.port, me.slots.join(' '));
    await server.kill();
  }

  /**
   * Waits until a replica of the killed master owns its slots and every remaining
   * node reports `cluster_state:ok` with the same slot map; returns the new master.
   */
  async waitForFailover(server: RedisServer, timeoutMs = 15_000): Promise<RedisServer> {
    const slots = this.slotsByPort.get(server.port);
    if (slots === undefined) throw new Error(`node ${server.port} owned no slots at the last agreed view`);
    if (server.running) throw new Error(`node ${server.port} is still running; kill it first`);
    const view = await this.waitForView(`failover of master ${server.port}`, timeoutMs, (v) => {
      const owner = v.owners.get(slots);
      return owner === undefined || owner === server.port ? `slots ${slots} not yet taken over` : undefined;
    });
    return this.server(view.owners.get(slots) as number);
  }

  /**
   * Starts a stopped or killed node again on the same port. It comes back empty but
   * with its nodes.conf, so it rejoins under its old id; waits until it replicates
   * its new master and the whole cluster agrees again.
   */
  async restartNode(server: RedisServer, timeoutMs = 15_000): Promise<void> {
    await server.start();
    await this.waitForView(`node ${server.port} to rejoin`, timeoutMs, async (view) => {
      const me = await this.myself(server);
      if (!me.flags.includes('slave')) return `node ${server.port} is still ${me.flags.join(',')}`;
      const master = [...view.replicasOf].find(([, replicas]) => replicas.includes(server.port));
      return master ? undefined : `node ${server.port} is not yet listed as a replica`;
    });
  }

  /** The running master that serves `slot`, as it says itself. */
  async ownerOf(slot: number): Promise<RedisServer> {
    const serves = (me: ClusterNodeEntry) =>
      me.flags.includes('master') && me.slots.some((range) => inRange(slot, range));
    const masters = await this.byOwnRole(serves);
    if (masters.length !== 1) throw new Error(`slot ${slot} is served by ${masters.length} masters`);
    return masters[0];
  }

  /**
   * Moves one slot to another master the way `redis-cli --cluster reshard` does (SETSLOT IMPORTING and
   * MIGRATING, MIGRATE, SETSLOT NODE everywhere), but `keysPerBatch` keys at a time with `pauseMs` between
   * batches, so that clients meet the slot half-moved: some of a uid's keys on each node.
   */
  async migrateSlot(
    slot: number,
    to: RedisServer,
    { keysPerBatch = 1, pauseMs = 0, timeoutMs = 15_000 } = {},
  ): Promise<void> {
    const from = await this.beginSlotMigration(slot, to);
    for (;;) {
      const output = await from.cli('CLUSTER', 'GETKEYSINSLOT', String(slot), String(keysPerBatch));
      const keys = output.split('\n').filter((key) => key.length > 0);
      if (keys.length === 0) break;
      await this.migrateKeys(from, to, keys);
      if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
    await this.finishSlotMigration(slot, from, to, timeoutMs);
  }

  /** First step of a slot move: the slot is importing on `to`, migrating on its owner; returns the owner. */
  async beginSlotMigration(slot: number, to: RedisServer): Promise<RedisServer> {
    const from = await this.ownerOf(slot);
    if (from === to) throw new Error(`slot ${slot} is already served by node ${to.port}`);
    await to.cli('CLUSTER', 'SETSLOT', String(slot), 'IMPORTING', this.ids.get(from.port) as string);
    await from.cli('CLUSTER', 'SETSLOT', String(slot), 'MIGRATING', this.ids.get(to.port) as string);
    return from;
  }

  /** Moves the given keys of a migrating slot (MIGRATE ... KEYS). */
  async migrateKeys(from: RedisServer, to: RedisServer, keys: string[]): Promise<void> {
    const reply = await from.cli('MIGRATE', to.host, String(to.port), '', '0', '5000', 'KEYS', ...keys);
    if (reply !== 'OK' && reply !== 'NOKEY') throw new Error(`MIGRATE to node ${to.port} failed: ${reply}`);
  }

  /** Last step of a slot move, once its keys moved: `to` owns the slot, and every node agrees. */
  async finishSlotMigration(slot: number, from: RedisServer, to: RedisServer, timeoutMs = 15_000): Promise<void> {
    const toId = this.ids.get(to.port) as string;
    // The new owner first, then the old one, then everyone else (as redis-cli does).
    const others = (await this.masters()).filter((master) => master !== from && master !== to);
    for (const node of [to, from, ...others]) await node.cli('CLUSTER', 'SETSLOT', String(slot), 'NODE', toId);
    await this.waitForView(`slot ${slot} to move to node ${to.port}`, timeoutMs, async () => {
      const owner = await this.ownerOf(slot);
      return owner === to ? undefined : `slot ${slot} is still served by node ${owner.port}`;
    });
  }

  /** Empties every master (replicas follow). */
  async flushAll(): Promise<void> {
    await Promise.all((await this.masters()).map((m) => m.cli('FLUSHALL')));
  }

  /** Stops every node and removes their directories (including nodes.conf). */
  async dispose(): Promise<void> {
    await Promise.allSettled(this.servers.map((s) => s.dispose()));
  }

  private server(port: number): RedisServer {
    const server = this.servers.find((s) => s.port === port);
    if (!server) throw new Error(`no cluster node on port ${port}`);
    return server;
  }

  private async myself(server: RedisServer): Promise<ClusterNodeEntry> {
    const me = parseClusterNodes(await server.cli('CLUSTER', 'NODES')).find((e) => e.flags.includes('myself'));
    if (!me) throw new Error(`node ${server.port} did not list itself in CLUSTER NODES`);
    return me;
  }

  private async byOwnRole(match: (me: ClusterNodeEntry) => boolean): Promise<RedisServer[]> {
    const running = this.servers.filter((s) => s.running);
    const selves = await Promise.all(running.map((s) => this.myself(s)));
    return running.filter((_, i) => match(selves[i]));
  }

  /**
   * Polls every running node until all report `cluster_state:ok`, see every other
   * running node as healthy, agree on slot owners (all of them running), their
   * replicas have a live link, and `extra` (if any) has nothing left to wait for.
   */
  private async waitForView(
    what: string,
    timeoutMs: number,
    extra?: (view: ClusterView) => string | undefined | Promise<string | undefined>,
  ): Promise<ClusterView> {
    const view = await pollUntil(what, timeoutMs, async () => {
      const result = await this.agreedView();
      if (typeof result === 'string') return result;
      const pending = await extra?.(result);
      return pending ?? result;
    });
    this.slotsByPort = new Map([...view.owners].map(([slots, port]) => [port, slots]));
    return view;
  }

  /** The view every running node agrees on, or why there is none yet. */
  private async agreedView(): Promise<ClusterView | string> {
    const running = this.servers.filter((s) => s.running);
    const runningPorts = new Set(running.map((s) => s.port));
    let agreed: string | undefined;
    let view: ClusterView | undefined;
    for (const server of running) {
      const info = await server.cli('CLUSTER', 'INFO');
      if (!/^cluster_state:ok\s*$/m.test(info))
        return `node ${server.port} reports ${/^cluster_state:\S+/m.exec(info)?.[0] ?? info}`;
      const entries = parseClusterNodes(await server.cli('CLUSTER', 'NODES'));
      for (const port of runningPorts) {
        const entry = entries.find((e) => e.port === port);
        if (!entry) return `node ${server.port} does not know node ${port}`;
        const bad = entry.flags.filter((f) => ['fail', 'fail?', 'handshake', 'noaddr'].includes(f));
        if (bad.length > 0) return `node ${server.port} sees node ${port} as ${bad.join(',')}`;
        if (!entry.connected) return `node ${server.port} has no link to node ${port}`;
      }
      const owners = new Map<string, number>();
      const replicasOf = new Map<number, number[]>();
      for (const entry of entries) {
        if (!entry.flags.includes('master') || entry.slots.length === 0) continue;
        if (!runningPorts.has(entry.port)) return `node ${server.port} still sees dead node ${entry.port} as master`;
        owners.set(entry.slots.join(' '), entry.port);
        const replicas = entries.filter((e) => e.masterId === entry.id && runningPorts.has(e.port)).map((e) => e.port);
        replicasOf.set(
          entry.port,
          replicas.sort((a, b) => a - b),
        );
      }
      const key = JSON.stringify([[...owners].sort(), [...replicasOf].sort()]);
      if (agreed !== undefined && key !== agreed) return `node ${server.port} disagrees on the slot map`;
      agreed = key;
      view = { owners, replicasOf };
      const me = entries.find((e) => e.flags.includes('myself'));
      if (me?.flags.includes('slave')) {
        const replication = await server.cli('INFO', 'replication');
        if (!/^master_link_status:up\s*$/m.test(replication))
          return `replica ${server.port} has no live link to its master`;
      }
    }
    return view ?? 'no node is running';
  }
}

/** Parses `CLUSTER NODES` output (one node per line). */
function parseClusterNodes(text: string): ClusterNodeEntry[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0)
    .map((line) => {
      const [id, address, flags, master, , , , link, ...slots] = line.split(' ');
      // address is ip:port@cport[,hostname]
      const port = Number(/:(\d+)@/.exec(address)?.[1] ?? NaN);
      return {
        id,
        port,
        flags: flags.split(','),
        masterId: master === '-' ? undefined : master,
        slots: slots.filter((s) => !s.startsWith('[')),
        connected: link === 'connected',
      };
    });
}

/** Whether `slot` is in a `CLUSTER NODES` slot range such as `0-5460` or `5461`. */
function inRange(slot: number, range: string): boolean {
  const [first, last = first] = range.split('-').map(Number);
  return slot >= first && slot <= last;
}

/** `count` different free loopback ports (asking the kernel may hand out the same one twice). */
async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  for (let attempts = 0; ports.size < count; attempts++) {
    if (attempts > count * 10) throw new Error(`could not find ${count} distinct free ports`);
    ports.add(await freePort());
  }
  return [...ports];
}
