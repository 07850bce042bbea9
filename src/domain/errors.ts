/** Error codes with their HTTP status: the one error vocabulary of the API and the CLI. */
export const errorStatus = {
  bad_request: 400,
  validation_failed: 400,
  no_tests: 400,
  unauthorized: 401,
  forbidden: 403,
  csrf_failed: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  unprocessable: 422,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
  not_implemented: 501,
  // CI triggers (listed after the generic codes so those stay the default for their status).
  unsupported_field: 400,
  idempotency_mismatch: 422,
  run_failed: 422,
  wait_timeout: 504,
  // Artifacts (listed last: 410 and 416 have no generic code, video_unavailable is a 400 with a
  // reason).
  artifact_expired: 410,
  range_not_satisfiable: 416,
  video_unavailable: 400,
  // Sign-in (after the generic codes: 403 stays `forbidden` by default).
  email_not_verified: 403,
} as const;
export type ErrorCode = keyof typeof errorStatus;

/** An expected failure with a code the API maps to a status; never carries a stack to clients. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;
  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.details = details;
  }
  get status(): number {
    return errorStatus[this.code];
  }
}

export const notFound = (what: string): AppError => new AppError('not_found', `${what} not found`);
