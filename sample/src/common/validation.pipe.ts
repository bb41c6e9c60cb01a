import { BadRequestException, ValidationError, ValidationPipe } from '@nestjs/common';

function flatten(errors: ValidationError[], parent: string): Array<{ field: string; messages: string[] }> {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = error.constraints ? [{ field, messages: Object.values(error.constraints) }] : [];
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

/** The 400 of failed class-validator checks: every message, and every field at fault (`parent.field` when nested). */
export function invalidParameter(errors: ValidationError[], parent = ''): BadRequestException {
  const failures = flatten(errors, parent);
  return new BadRequestException({
    statusCode: 400,
    code: 'INVALID_PARAMETER',
    message: failures.flatMap((failure) => failure.messages).join('; '),
    field: failures.map((failure) => failure.field).join(','),
  });
}

/**
 * `ValidationPipe` whose 400 has the same shape as `StatefulErrorFilter`'s:
 * `{ statusCode: 400, code: 'INVALID_PARAMETER', message, field }`.
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    transform: true,
    whitelist: true,
    forbidNonWhitelisted: true,
    exceptionFactory: (errors) => invalidParameter(errors),
  });
}
