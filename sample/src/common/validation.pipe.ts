import { BadRequestException, ValidationError, ValidationPipe } from '@nestjs/common';

function flatten(errors: ValidationError[], parent = ''): Array<{ field: string; messages: string[] }> {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = error.constraints ? [{ field, messages: Object.values(error.constraints) }] : [];
    return [...own, ...flatten(error.children ?? [], field)];
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
    exceptionFactory: (errors) => {
      const failures = flatten(errors);
      return new BadRequestException({
        statusCode: 400,
        code: 'INVALID_PARAMETER',
        message: failures.flatMap((failure) => failure.messages).join('; '),
        field: failures.map((failure) => failure.field).join(','),
      });
    },
  });
}
