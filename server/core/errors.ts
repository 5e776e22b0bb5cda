// A few typed errors with an HTTP status and a message fit to show the user.
// The one Express error handler turns them into the EJS error page or JSON.

export class AppError extends Error {
  readonly status: number = 500;
  readonly code: string = 'internal_error';
  override name = 'AppError';
  /** Machine-readable detail an API answer carries next to code and message (e.g. `items`). */
  get details(): Record<string, unknown> | undefined {
    return undefined;
  }
}

export class ValidationError extends AppError {
  override readonly status = 400;
  override readonly code = 'invalid_input';
  override name = 'ValidationError';
  /** field -> message, shown next to the field in forms and returned in JSON */
  constructor(
    message: string,
    readonly fields: Record<string, string> = {},
  ) {
    super(message);
  }
}

export class NotFoundError extends AppError {
  override readonly status = 404;
  override readonly code = 'not_found';
  override name = 'NotFoundError';
}

export class ForbiddenError extends AppError {
  override readonly status = 403;
  override readonly code = 'forbidden';
  override name = 'ForbiddenError';
}

/** A session whose password was set by someone else may do nothing until it chooses its own. */
export class PasswordChangeRequiredError extends AppError {
  override readonly status = 403;
  override readonly code = 'password_change_required';
  override name = 'PasswordChangeRequiredError';
}

export class UnauthorizedError extends AppError {
  override readonly status = 401;
  override readonly code = 'unauthorized';
  override name = 'UnauthorizedError';
}

export class ConflictError extends AppError {
  override readonly status = 409;
  override readonly code = 'conflict';
  override name = 'ConflictError';
}

/** Well-formed but not acceptable as sent (an Idempotency-Key reused for another request). */
export class UnprocessableError extends AppError {
  override readonly status = 422;
  override name = 'UnprocessableError';
  constructor(
    message: string,
    override readonly code: string = 'unprocessable',
  ) {
    super(message);
  }
}

export class TooManyRequestsError extends AppError {
  override readonly status = 429;
  override readonly code = 'too_many_requests';
  override name = 'TooManyRequestsError';
  /** Whole seconds, at least 1 (the Retry-After header). */
  readonly retryAfterSeconds: number;
  constructor(message: string, retryAfterSeconds: number) {
    super(message);
    this.retryAfterSeconds = Math.max(1, Math.ceil(retryAfterSeconds));
  }
}
