import { createServer, Server, Socket } from 'node:net';

/**
 * A TCP proxy between one replica and Redis that can be partitioned: while it is, nothing gets through in
 * either direction and nothing is closed; what was sent meanwhile arrives when it heals, late, as TCP would
 * deliver it after a network outage. Only that replica is cut off; the others reach Redis directly.
 */
export class PartitionProxy {
  private readonly links = new Set<{ client: Socket; upstream: Socket }>();
  /** Bytes held back while partitioned, in order, per direction of each link. */
  private held: Array<() => void> = [];
  private partitioned = false;

  private readonly server: Server;
  private port = 0;

  private constructor(targetPort: number, targetHost: string) {
    this.server = createServer((client) => this.link(client, targetPort, targetHost));
  }

  static async start(targetPort: number, targetHost = '127.0.0.1'): Promise<PartitionProxy> {
    const proxy = new PartitionProxy(targetPort, targetHost);
    await new Promise<void>((resolve, reject) => {
      proxy.server.once('error', reject);
      proxy.server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = proxy.server.address();
    proxy.port = typeof address === 'object' && address ? address.port : 0;
    return proxy;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** From now on nothing gets through, either way. */
  partition(): void {
    this.partitioned = true;
  }

  /** Delivers what was held back, in order, and lets everything through again. */
  heal(): void {
    this.partitioned = false;
    const held = this.held;
    this.held = [];
    for (const deliver of held) deliver();
  }

  async close(): Promise<void> {
    for (const { client, upstream } of this.links) {
      client.destroy();
      upstream.destroy();
    }
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private link(client: Socket, targetPort: number, targetHost: string): void {
    const upstream = new Socket();
    const link = { client, upstream };
    this.links.add(link);
    const forward = (from: Socket, to: Socket) =>
      from.on('data', (chunk: Buffer) => {
        if (this.partitioned) this.held.push(() => to.write(chunk));
        else to.write(chunk);
      });
    forward(client, upstream);
    forward(upstream, client);
    const close = () => {
      this.links.delete(link);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
    upstream.connect(targetPort, targetHost);
  }
}
