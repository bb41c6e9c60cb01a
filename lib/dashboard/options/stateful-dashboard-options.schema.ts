import type { CanActivate, Type } from '@nestjs/common';
import { IsBoolean, ValidateBy, ValidationArguments } from 'class-validator';
import { assertNamespace } from '../../routing/validation/argument-validator';
import { DASHBOARD_OWNER } from '../dashboard.constants';
import { parseHost } from '../security/allowed-hosts';

/**
 * Segments of letters, digits, `-`, `_`, `.`, `~`: nothing either router reads as a parameter or a wildcard;
 * no empty segment (a trailing slash is dropped), no `.` or `..` (a browser or proxy would resolve them away).
 */
const PATH = /^(\/[A-Za-z0-9._~-]+)+\/?$/;
const DOT_SEGMENT = /\/\.{1,2}(\/|$)/;

/** The options as given, for the rules that look at another option (`readOnly: false` needs more). */
function optionsOf(args?: ValidationArguments): StatefulDashboardOptionsSchema {
  return args?.object as StatefulDashboardOptionsSchema;
}

/** A class-validator rule of one option, whose message names the option. */
function Rule(name: string, valid: (value: unknown, args?: ValidationArguments) => boolean, message: string) {
  return ValidateBy({ name, validator: { validate: valid, defaultMessage: () => message } });
}

function isGuard(value: unknown): boolean {
  if (typeof value === 'function') return true;
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { canActivate?: unknown }).canActivate === 'function'
  );
}

function isHostList(value: unknown): boolean {
  return (
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((host) => typeof host === 'string' && parseHost(host) !== undefined)
  );
}

/**
 * The options of `StatefulDashboardModule` as class-validator sees them, every message naming its option, with
 * their defaults. Unlike the other modules' options, `null` is no absent option here: it is refused.
 */
export class StatefulDashboardOptionsSchema {
  @Rule(
    'isDashboardPath',
    (value) => typeof value === 'string' && PATH.test(value) && !DOT_SEGMENT.test(value),
    '"path" must be a path like "/ops/dashboard" (segments of letters, digits, "-", "_", ".", "~"; ' +
      'no empty, "." or ".." segment)',
  )
  path!: string;

  // A bad namespace is refused as every routing argument is (field `namespace`, the routing's own message).
  @Rule(
    'isNamespaceList',
    (value) =>
      value === undefined ||
      (Array.isArray(value) &&
        value.length > 0 &&
        value.every((namespace) => {
          assertNamespace(`${DASHBOARD_OWNER} options "namespaces"`, namespace);
          return true;
        })),
    '"namespaces" must be a non-empty array of routing namespaces (leave it out to show them all)',
  )
  namespaces?: string[];

  @IsBoolean({ message: '"readOnly" must be a boolean' })
  readOnly: boolean = true;

  @Rule(
    'isGuard',
    (value) => value === undefined || isGuard(value),
    '"guard" must be a CanActivate: a class, or an object with a canActivate method',
  )
  @Rule(
    'guardWithActions',
    (value, args) => value !== undefined || optionsOf(args).readOnly !== false,
    '"guard" is required with readOnly: false (actions are only served behind a guard)',
  )
  guard?: CanActivate | Type<CanActivate>;

  @Rule(
    'isHostList',
    (value) => value === undefined || isHostList(value),
    '"allowedHosts" must be a non-empty array of host names, each optionally with a port ' +
      '("ops.example.com", "localhost:3000", "[::1]"; leave it out to answer to any host)',
  )
  // A page whose name an attacker rebinds to the app's address passes Origin and CSRF checks: only its Host gives it
  // away. Without a guard either, the guard's message comes alone: it is the first thing to add.
  @Rule(
    'allowedHostsWithActions',
    (value, args) => value !== undefined || optionsOf(args).readOnly !== false || optionsOf(args).guard === undefined,
    '"allowedHosts" is required with readOnly: false (against DNS rebinding: list the host names operators use, ' +
      'e.g. ["ops.example.com", "localhost"])',
  )
  allowedHosts?: string[];

  @Rule(
    'isRedact',
    (value) => value === undefined || typeof value === 'function',
    '"redact" must be a function (text: string) => string, the app\'s own rules for what is not shown',
  )
  redact?: (text: string) => string;
}
