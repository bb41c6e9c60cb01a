import { ErrorCode } from '../../core/errors/error-code';
import { StatefulError } from '../../core/errors/stateful.error';
import { assertKnownOptions } from '../../core/options/known-options';
import { assertNamespace } from '../../routing/validation/argument-validator';
import { DASHBOARD_OWNER } from '../dashboard.constants';
import { parseHost } from '../security/allowed-hosts';
import type {
  ResolvedStatefulDashboardOptions,
  StatefulDashboardOptions,
} from '../interfaces/stateful-dashboard-options.interface';

/**
 * Segments of letters, digits, `-`, `_`, `.`, `~`: nothing either router reads as a parameter or a wildcard;
 * no empty segment (a trailing slash is dropped), no `.` or `..` (a browser or proxy would resolve them away).
 */
const PATH = /^(\/[A-Za-z0-9._~-]+)+\/?$/;
const DOT_SEGMENT = /\/\.{1,2}(\/|$)/;

function invalid(field: string, rule: string): StatefulError {
  return new StatefulError(ErrorCode.INVALID_PARAMETER, `Invalid ${DASHBOARD_OWNER} options: "${field}" ${rule}`, {
    field,
  });
}

function isGuard(value: unknown): boolean {
  if (typeof value === 'function') return true;
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { canActivate?: unknown }).canActivate === 'function'
  );
}

/** Validates the options and applies the defaults; a bad option stops the app naming it. */
export function resolveDashboardOptions(
  options: StatefulDashboardOptions | undefined,
): ResolvedStatefulDashboardOptions {
  if (typeof options !== 'object' || options === null) throw invalid('options', 'must be an object');
  assertKnownOptions(
    options,
    { path: true, namespaces: true, readOnly: true, guard: true, allowedHosts: true, redact: true },
    DASHBOARD_OWNER,
  );
  const { path, namespaces, readOnly = true, guard, allowedHosts, redact } = options;
  if (typeof path !== 'string' || !PATH.test(path) || DOT_SEGMENT.test(path))
    throw invalid(
      'path',
      'must be a path like "/ops/dashboard" (segments of letters, digits, "-", "_", ".", "~"; ' +
        'no empty, "." or ".." segment)',
    );
  if (namespaces !== undefined) {
    if (!Array.isArray(namespaces) || namespaces.length === 0)
      throw invalid('namespaces', 'must be a non-empty array of routing namespaces (leave it out to show them all)');
    namespaces.forEach((namespace) => assertNamespace(`${DASHBOARD_OWNER} options "namespaces"`, namespace));
  }
  if (typeof readOnly !== 'boolean') throw invalid('readOnly', 'must be a boolean');
  if (guard !== undefined && !isGuard(guard))
    throw invalid('guard', 'must be a CanActivate: a class, or an object with a canActivate method');
  if (!readOnly && guard === undefined)
    throw invalid('guard', 'is required with readOnly: false (actions are only served behind a guard)');
  if (
    allowedHosts !== undefined &&
    (!Array.isArray(allowedHosts) ||
      allowedHosts.length === 0 ||
      !allowedHosts.every((host) => typeof host === 'string' && parseHost(host) !== undefined))
  )
    throw invalid(
      'allowedHosts',
      'must be a non-empty array of host names, each optionally with a port ' +
        '("ops.example.com", "localhost:3000", "[::1]"; leave it out to answer to any host)',
    );
  // A page whose name an attacker rebinds to the app's address passes Origin and CSRF checks: only its Host gives it
  // away.
  if (!readOnly && allowedHosts === undefined)
    throw invalid(
      'allowedHosts',
      'is required with readOnly: false (against DNS rebinding: list the host names operators use, ' +
        'e.g. ["ops.example.com", "localhost"])',
    );
  if (redact !== undefined && typeof redact !== 'function')
    throw invalid('redact', "must be a function (text: string) => string, the app's own rules for what is not shown");
  return {
    path: path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path,
    namespaces: namespaces ? [...new Set(namespaces)] : null,
    readOnly,
    guard: guard ?? null,
    allowedHosts: allowedHosts ? [...new Set(allowedHosts.map((host) => host.trim().toLowerCase()))] : null,
    redact: redact ?? null,
  };
}
