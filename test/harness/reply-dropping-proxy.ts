import { createConnection, createServer, type Server } from 'node:net';

/** What happens to the reply of the next command holding the armed marker. */
type ReplyFault =
  | { kind: 'drop'; marker: Buffer }
  | { kind: 'delay'; marker: Buffer; delayMs: number }
  | { kind: 'holdAfter'; marker: Buffer; delayMs: number };

/**
 * A TCP proxy in front of a redis-server that, once armed with a marker, forwards the next command holding it
 * and then either swallows Redis's reply and resets the connection (`arm`: a call that ran in Redis but whose
 * reply was lost), or holds that reply and every later one of the connection for a while (`delay`: a call that
 * ran in Redis on time, its caller learning it late, as a paused process or a congested network does), or
 * forwards it and holds the client's next commands for a while (`holdAfter`: what it sends next is late on the
 * network).
 */
export class ReplyDroppingProxy {
  /** How many replies it dropped. */
  dropped = 0;
  /** How many replies it delayed (the first of each held stretch). */
  delayed = 0;
  /** How many times it held a client's commands after a marker. */
  heldAfter = 0;
  private armed?: ReplyFault;

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static start(redisPort: number): Promise<ReplyDroppingProxy> {
    let proxy!: ReplyDroppingProxy;
    const server = createServer((client) => {
      const upstream = createConnection(redisPort, '127.0.0.1');
      let swallowing = false;
      let heldUntil = 0;
      const held: Buffer[] = [];
      let commandsHeld: Buffer[] | undefined;
      client.on('data', (chunk) => {
        if (commandsHeld) {
          commandsHeld.push(chunk);
          return;
        }
        const fault = proxy.armed;
        if (fault && chunk.includes(fault.marker)) {
          proxy.armed = undefined;
          if (fault.kind === 'holdAfter') {
            proxy.heldAfter++;
            upstream.write(chunk);
            const queue: Buffer[] = [];
            commandsHeld = queue;
            setTimeout(() => {
              commandsHeld = undefined;
              for (const command of queue) upstream.write(command);
            }, fault.delayMs);
            return;
          }
          if (fault.kind === 'drop') {
            proxy.dropped++;
            swallowing = true;
            // Redis runs it; its reply is dropped, then the connection resets.
            setTimeout(() => {
              client.destroy();
              upstream.destroy();
            }, 150);
          } else {
            proxy.delayed++;
            heldUntil = Date.now() + fault.delayMs;
            setTimeout(() => {
              heldUntil = 0;
              for (const reply of held.splice(0)) client.write(reply);
            }, fault.delayMs);
          }
        }
        upstream.write(chunk);
      });
      upstream.on('data', (chunk) => {
        if (swallowing) return;
        if (heldUntil > 0) held.push(chunk);
        else client.write(chunk);
      });
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    return new Promise((resolve) =>
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        proxy = new ReplyDroppingProxy(server, typeof address === 'object' && address ? address.port : 0);
        resolve(proxy);
      }),
    );
  }

  /** The next command whose bytes hold `marker` loses its reply. */
  arm(marker: string): void {
    this.armed = { kind: 'drop', marker: Buffer.from(marker) };
  }

  /** The reply to the next command whose bytes hold `marker`, and the later ones, reach the client `delayMs` late. */
  delay(marker: string, delayMs: number): void {
    this.armed = { kind: 'delay', marker: Buffer.from(marker), delayMs };
  }

  /** Forwards the next command holding `marker`, then holds the client's later commands for `delayMs`. */
  holdAfter(marker: string, delayMs: number): void {
    this.armed = { kind: 'holdAfter', marker: Buffer.from(marker), delayMs };
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
