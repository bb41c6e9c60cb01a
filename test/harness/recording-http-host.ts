import type { ArgumentsHost } from '@nestjs/common';

/** What an exception filter sent through the reply: the status and the body. */
export interface SentReply {
  status?: number;
  body?: unknown;
}

/**
 * An `ArgumentsHost` whose HTTP response is a Fastify-style reply (`reply.code(status).send(body)`) that
 * records what it is sent, for calling a filter's `catch(error, host)` without an HTTP server.
 */
export function recordingHttpHost(): { host: ArgumentsHost; sent: SentReply } {
  const sent: SentReply = {};
  const reply = {
    code(status: number) {
      sent.status = status;
      return reply;
    },
    send(body: unknown) {
      sent.body = body;
      return reply;
    },
  };
  const host = { switchToHttp: () => ({ getResponse: () => reply }) } as unknown as ArgumentsHost;
  return { host, sent };
}
