import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';

interface LocalRequest {
  headers: Record<string, string | string[] | undefined>;
  socket?: { remoteAddress?: string };
  raw?: { socket?: { remoteAddress?: string } };
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/**
 * The dashboard's guard in this sample: only a browser on the machine itself gets in (in Kubernetes:
 * `kubectl port-forward pod/gateway-0 3000`, whose connections arrive from the pod's loopback). A request
 * relayed by a proxy (it says `X-Forwarded-For`) is not local, even when the proxy runs on the machine.
 * A real deployment would check its operators' identity here (an auth session, mTLS, an identity-aware proxy).
 */
@Injectable()
export class LocalOperatorGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<LocalRequest>();
    if (request.headers['x-forwarded-for'] !== undefined) return false;
    const address = request.socket?.remoteAddress ?? request.raw?.socket?.remoteAddress;
    return address !== undefined && LOOPBACK.has(address);
  }
}
