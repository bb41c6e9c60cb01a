/*
 * The capacity model of issue 11: what one call costs Redis, measured, and what that means for the size of a Redis
 * Cluster. The costs come from this run's redis-server: `INFO commandstats` (commands per call, commands run inside
 * scripts included) and `INFO cpu` of the main thread (server CPU per call, network and protocol included), over a
 * block of calls made at the benchmark's concurrency. The table is arithmetic on those figures and on the
 * assumptions printed with it; nothing in it is estimated by hand.
 */
import type { Redis } from 'ioredis';
import { throughput } from './measure';
import type { Implementation, Operation } from './implementations/implementation';

/** What one call of an operation costs the Redis server, at the concurrency it was measured at. */
export interface OperationCost {
  op: Operation;
  calls: number;
  concurrency: number;
  redisCommandsPerCall: number;
  redisCpuUsPerCall: number;
}

/** The figures the model is built on; every one is written with the table. */
export interface CapacityAssumptions {
  /** Links a user has on average (one per service they are routed to). */
  linksPerUser: number;
  /** Data one master holds: a node sized with room for the fork of a snapshot, replication and client buffers. */
  datasetBytesPerMaster: number;
  /** Share of one core a master's main thread is planned to use, so that latency stays flat at peak. */
  cpuShare: number;
  /** Bytes a key costs in cluster mode beyond standalone (Redis 7.0 slot bookkeeping: two pointers per key). */
  clusterBytesPerKey: number;
}

const CAPACITY_ASSUMPTIONS: CapacityAssumptions = {
  linksPerUser: 2,
  datasetBytesPerMaster: 12 * 2 ** 30,
  cpuShare: 0.6,
  clusterBytesPerKey: 16,
};

export interface RedisMemoryFigures {
  bytesPerUserWithOneLink: number;
  bytesPerExtraLink: number;
}

export interface CapacityModel {
  assumptions: CapacityAssumptions;
  costs: OperationCost[];
  memory: RedisMemoryFigures & { bytesPerUser: number };
  users: Array<{ users: number; bytes: number; masters: number }>;
  /** A routing decision is one call of the gateway mix (90 % reads, 5 % placements, 5 % unlinks). */
  decisions: Array<{ perSecond: number; masters: number }>;
  decisionCpuUs: number;
  /** Fires per second one scheduler namespace (one hash slot, so one master) takes, from the scheduler suite. */
  scheduler?: { redisCpuUsPerFire: number; redisCommandsPerFire: number; firesPerSecondPerNamespace: number };
}

async function serverCounters(admin: Redis): Promise<{ commands: number; cpuUs: number }> {
  const [stats, cpu] = await Promise.all([admin.info('commandstats'), admin.info('cpu')]);
  let commands = 0;
  for (const match of stats.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    // The measurement's own INFO and CONFIG calls are not the operation's.
    if (!match[1].startsWith('info') && !match[1].startsWith('config')) commands += Number(match[2]);
  }
  const seconds = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(cpu)?.[1] ?? 0);
  return {
    commands,
    cpuUs: (seconds('used_cpu_sys_main_thread') + seconds('used_cpu_user_main_thread')) * 1e6,
  };
}

/**
 * Makes `calls` calls of each operation at `concurrency` callers and divides the server's counters by them. Call
 * numbers start far past those of the throughput segments, so the same inputs are not read again from a warm cache.
 */
export async function measureOperationCosts(
  admin: Redis,
  implementation: Implementation,
  operations: readonly Operation[],
  calls: number,
  concurrency: number,
): Promise<OperationCost[]> {
  const costs: OperationCost[] = [];
  let callNumber = 50_000_000;
  for (const op of operations) {
    const call = implementation.operations[op];
    if (!call) continue;
    await admin.config('RESETSTAT');
    const before = await serverCounters(admin);
    await throughput(call, () => callNumber++, concurrency, 0, calls);
    const after = await serverCounters(admin);
    costs.push({
      op,
      calls,
      concurrency,
      redisCommandsPerCall: Number(((after.commands - before.commands) / calls).toFixed(2)),
      redisCpuUsPerCall: Number(((after.cpuUs - before.cpuUs) / calls).toFixed(2)),
    });
  }
  return costs;
}

/** Masters needed for a load that takes `perSecond × usPerUnit` µs of server CPU each second. */
function mastersForCpu(perSecond: number, usPerUnit: number, assumptions: CapacityAssumptions): number {
  return Math.max(1, Math.ceil((perSecond * usPerUnit) / (assumptions.cpuShare * 1e6)));
}

export function buildCapacityModel(
  costs: readonly OperationCost[],
  memory: RedisMemoryFigures,
  scheduler: { redisCpuUsPerRun: number; redisCommandsPerRun: number } | undefined,
  assumptions: CapacityAssumptions = CAPACITY_ASSUMPTIONS,
): CapacityModel {
  // Keys of a user: the uid hash, plus one string per link.
  const keysPerUser = 1 + assumptions.linksPerUser;
  const bytesPerUser =
    memory.bytesPerUserWithOneLink +
    (assumptions.linksPerUser - 1) * memory.bytesPerExtraLink +
    keysPerUser * assumptions.clusterBytesPerKey;
  const decision = costs.find((cost) => cost.op === 'gatewayMix');
  if (!decision) throw new Error('the capacity model needs the cost of the gateway mix');
  return {
    assumptions,
    costs: [...costs],
    memory: { ...memory, bytesPerUser },
    users: [1e6, 1e7, 1e8].map((users) => ({
      users,
      bytes: users * bytesPerUser,
      masters: Math.max(1, Math.ceil((users * bytesPerUser) / assumptions.datasetBytesPerMaster)),
    })),
    decisions: [1e5, 1e6].map((perSecond) => ({
      perSecond,
      masters: mastersForCpu(perSecond, decision.redisCpuUsPerCall, assumptions),
    })),
    decisionCpuUs: decision.redisCpuUsPerCall,
    ...(scheduler && {
      scheduler: {
        redisCpuUsPerFire: scheduler.redisCpuUsPerRun,
        redisCommandsPerFire: scheduler.redisCommandsPerRun,
        firesPerSecondPerNamespace: Math.floor((assumptions.cpuShare * 1e6) / scheduler.redisCpuUsPerRun),
      },
    }),
  };
}

const count = (value: number) =>
  value >= 1e6 ? `${value / 1e6} M` : value >= 1e3 ? `${value / 1e3} k` : value.toLocaleString('en-US');
const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(bytes < 10 * 2 ** 30 ? 1 : 0)} GiB`;

/** The model as Markdown: the measured costs, then the sizing tables, then the assumptions. */
export function formatCapacityModel(model: CapacityModel): string {
  const { assumptions: a, memory } = model;
  const lines: string[] = [];
  lines.push('| operation | Redis commands per call | Redis server CPU per call |');
  lines.push('| --- | ---: | ---: |');
  for (const cost of model.costs)
    lines.push(`| \`${cost.op}\` | ${cost.redisCommandsPerCall} | ${cost.redisCpuUsPerCall} µs |`);
  if (model.scheduler)
    lines.push(
      `| scheduler fire (claim, start, finish) | ${model.scheduler.redisCommandsPerFire} | ${model.scheduler.redisCpuUsPerFire} µs |`,
    );
  lines.push('');
  lines.push('| load | Redis needed | Redis Cluster masters |');
  lines.push('| --- | ---: | ---: |');
  for (const row of model.users) lines.push(`| ${count(row.users)} users | ${gib(row.bytes)} | ${row.masters} |`);
  for (const row of model.decisions)
    lines.push(
      `| ${count(row.perSecond)} routing decisions/s | ${((row.perSecond * model.decisionCpuUs) / 1e6).toFixed(1)} cores | ${row.masters} |`,
    );
  if (model.scheduler)
    lines.push(
      `| one scheduler namespace | ${model.scheduler.firesPerSecondPerNamespace.toLocaleString('en-US')} fires/s at most | 1 (one slot) |`,
    );
  lines.push('');
  lines.push(
    `Assumptions: ${a.linksPerUser} links per user (${memory.bytesPerUserWithOneLink} B for a user with one link + ` +
      `${memory.bytesPerExtraLink} B per further link, measured, + ${a.clusterBytesPerKey} B per key of cluster slot ` +
      `bookkeeping = ${memory.bytesPerUser} B per user); ${gib(a.datasetBytesPerMaster)} of data per master; a master's ` +
      `main thread planned at ${a.cpuShare * 100} % of one core of this machine; a routing decision is one call of the ` +
      `gateway mix (90 % \`getLinkedPod\`, 5 % \`computeLinkedPodIfAbsent\`, 5 % \`removeLinkedPod\`) without the ` +
      `near-cache (which answers most reads without Redis). Costs measured over ` +
      `${Math.max(...model.costs.map((cost) => cost.calls)).toLocaleString('en-US')} calls per operation (fewer for ` +
      `batch reads) at ${model.costs[0]?.concurrency} callers; the scheduler's from its steady load. Take the larger ` +
      `of the memory and the CPU figure.`,
  );
  return lines.join('\n');
}
