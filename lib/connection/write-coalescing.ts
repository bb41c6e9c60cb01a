import type { Cluster, Redis } from 'ioredis';

type SendCommand = Redis['sendCommand'];
const COALESCING = Symbol('nestjs-stateful-redis:coalescing');

/*
 * ioredis writes every command to its socket at once: one `write` system call per command,
 * which is most of a command's client-side cost. Here the socket is corked at the first
 * command of a tick and uncorked by a `process.nextTick` callback, which Node runs only after
 * every promise job of the tick: the commands of all callers resumed in that tick leave in one
 * `writev`. Nothing waits for a timer, so a lone command is not delayed (unlike ioredis's
 * `enableAutoPipelining`, which waits for `setImmediate`).
 */

/** A tick's writes are flushed early past this many buffered bytes, so that large commands (a batch read) are not held. */
const MAX_CORKED_BYTES = 64 * 1024;

function coalesceNode(redis: Redis): void {
  const patched = redis as Redis & { [COALESCING]?: true };
  if (patched[COALESCING]) return;
  patched[COALESCING] = true;
  const send: SendCommand = redis.sendCommand;
  let corked: Redis['stream'] | undefined;
  let flushScheduled = false;
  const flush = () => {
    flushScheduled = false;
    const socket = corked;
    corked = undefined;
    socket?.uncork();
  };
  redis.sendCommand = function (this: Redis, ...args: Parameters<SendCommand>) {
    if (corked === undefined && args[1] === undefined) {
      const socket = redis.stream;
      if (socket?.writable) {
        socket.cork();
        corked = socket;
        if (!flushScheduled) {
          flushScheduled = true;
          process.nextTick(flush);
        }
      }
    }
    const result = send.apply(this, args);
    if (corked !== undefined && corked.writableLength >= MAX_CORKED_BYTES) {
      const socket = corked;
      corked = undefined;
      socket.uncork();
    }
    return result;
  } as SendCommand;
}

/** Makes the commands sent in one tick leave in one write, on a client and, for a cluster, on every node's connection. */
export function coalesceWrites(client: Redis | Cluster): void {
  if (!client.isCluster) {
    coalesceNode(client as Redis);
    return;
  }
  const cluster = client as Cluster;
  cluster.on('+node', (node: Redis) => coalesceNode(node));
  for (const node of cluster.nodes()) coalesceNode(node);
}
