import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';

interface LocalRequest {
  headers: Record<string, string | string[] | undefined>;
  socket?: { remoteAddress?: string };
  raw?: { socket?: { remoteAddress?: string } };
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/** The names a browser on the machine uses for it, with any port. */
const LOOPBACK_HOST = /^(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/i;

/**
 * The dashboard's guard in this sample: only a browser on the machine itself gets in (in Kubernetes:
 * `kubectl port-forward pod/gateway-0 3000`, whose connections arrive from the pod's loopback). A request
 * relayed by a proxy (it says `X-Forwarded-For` or `X-Forwarded-Host`) is not local, even when the proxy runs on
 * the machine. The `Host` must be a loopback name too: a web page whose own name an attacker rebinds to
 * 127.0.0.1 (DNS rebinding) connects from loopback, but its browser still sends that name.
 * A real deployment would check its operators' identity here (an auth session, mTLS, an identity-aware proxy).
 */
@Injectable()
export class LocalOperatorGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<LocalRequest>();
    const { host, 'x-forwarded-for': forwardedFor, 'x-forwarded-host': forwardedHost } = request.headers;
    if (forwardedFor !== undefined || forwardedHost !== undefined) return false;
    if (typeof host !== 'string' || !LOOPBACK_HOST.test(host)) return false;
    const address = request.socket?.remoteAddress ?? request.raw?.socket?.remoteAddress;
    return address !== undefined && LOOPBACK.has(address);
  }
}
