import { createConnection, createServer, type Server } from 'node:net';

/**
 * A TCP proxy in front of a redis-server that, once armed with a marker, forwards the next command holding it,
 * swallows Redis's reply and resets the connection: a call that ran in Redis but whose reply was lost.
 */
export class ReplyDroppingProxy {
  /** How many replies it dropped. */
  dropped = 0;
  private armed?: Buffer;

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static start(redisPort: number): Promise<ReplyDroppingProxy> {
    let proxy!: ReplyDroppingProxy;
    const server = createServer((client) => {
      const upstream = createConnection(redisPort, '127.0.0.1');
      let swallowing = false;
      client.on('data', (chunk) => {
        if (proxy.armed && chunk.includes(proxy.armed)) {
          proxy.armed = undefined;
          proxy.dropped++;
          swallowing = true;
          // Redis runs it; its reply is dropped, then the connection resets.
          setTimeout(() => {
            client.destroy();
            upstream.destroy();
          }, 150);
        }
        upstream.write(chunk);
      });
      upstream.on('data', (chunk) => {
        if (!swallowing) client.write(chunk);
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
    this.armed = Buffer.from(marker);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
