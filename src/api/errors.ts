import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError, errorStatus, type ErrorCode } from '../domain/errors.ts';
import { TestValidationError } from '../domain/test-definition.ts';

/** The one error body of the API: `{ error, code, details? }`. */
export interface ErrorBody {
  error: string;
  code: string;
  details?: unknown;
}

export const errorSchema = z
  .object({
    error: z.string().describe('Human-readable message'),
    code: z.string().describe('Stable snake_case code, e.g. validation_failed, not_found'),
    details: z.unknown().optional(),
  })
  .meta({ id: 'Error' });

/** Response schemas for the error statuses a route can answer, for the OpenAPI document. */
export function errorResponses(...statuses: number[]): Record<number, typeof errorSchema> {
  return Object.fromEntries(statuses.map((s) => [s, errorSchema]));
}

/** One problem with a request part, as listed in `details` of a validation_failed error. */
export interface FieldIssue {
  path: string;
  message: string;
}

/** Fastify's own client errors (body parsing, content type) mapped to our vocabulary. */
const fastifyCodes: Record<string, { code: ErrorCode; message?: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'payload_too_large', message: 'request body is too large' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    code: 'unsupported_media_type',
    message: 'unsupported content type; send application/json',
  },
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'bad_request', message: 'request body is not valid JSON' },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    code: 'bad_request',
    message: 'request body is empty but content type is application/json',
  },
  FST_ERR_BAD_URL: { code: 'bad_request', message: 'the URL path is not valid percent-encoding' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    code: 'bad_request',
    message: 'content length does not match the body',
  },
};

const codeForStatus: Partial<Record<number, ErrorCode>> = Object.fromEntries(
  Object.entries(errorStatus)
    .reverse() // the first code listed for a status wins (bad_request over no_tests)
    .map(([code, status]) => [status, code as ErrorCode]),
);

function joinPath(part: string | undefined, path: string): string {
  const p = path.replace(/^\//, '').replace(/\//g, '.');
  return [part, p].filter(Boolean).join('.');
}

/** Map any thrown value to a status and the error body; unknown errors become a generic 500. */
export function toErrorResponse(err: unknown): { status: number; body: ErrorBody } {
  if (err instanceof AppError) {
    const body: ErrorBody = { error: err.message, code: err.code };
    if (err.details !== undefined) body.details = err.details;
    return { status: err.status, body };
  }
  if (err instanceof TestValidationError) {
    return {
      status: 400,
      body: {
        error: `invalid test: ${err.message}`,
        code: 'validation_failed',
        details: err.issues,
      },
    };
  }
  if (hasZodFastifySchemaValidationErrors(err)) {
    const part = (err as FastifyError).validationContext;
    const details: FieldIssue[] = err.validation.map((v) => ({
      path: joinPath(part, v.instancePath),
      message: v.message ?? 'invalid',
    }));
    const first = details[0];
    return {
      status: 400,
      body: {
        error: first ? `invalid request: ${first.path}: ${first.message}` : 'invalid request',
        code: 'validation_failed',
        details,
      },
    };
  }
  const fe = err as Partial<FastifyError> | null;
  const mapped = typeof fe?.code === 'string' ? fastifyCodes[fe.code] : undefined;
  if (mapped) {
    return {
      status: errorStatus[mapped.code],
      body: { error: mapped.message ?? String(fe?.message), code: mapped.code },
    };
  }
  // Other client errors Fastify raises itself (bad URL encoding, …) keep their 4xx status.
  const status = fe?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return {
      status,
      body: {
        error: String(fe?.message ?? 'bad request'),
        code: codeForStatus[status] ?? 'bad_request',
      },
    };
  }
  return { status: 500, body: { error: 'internal server error', code: 'internal' } };
}

/** Install the error and not-found handlers that give every failure the one error shape. */
export function installErrorHandlers(
  app: FastifyInstance,
  opts: { fallback?: (req: FastifyRequest, reply: FastifyReply) => boolean } = {},
): void {
  app.setErrorHandler((err: unknown, req: FastifyRequest, reply: FastifyReply) => {
    const { status, body } = toErrorResponse(err);
    if (status >= 500) req.log.error({ err }, 'request failed');
    else req.log.info({ code: body.code, status }, body.error);
    return reply.code(status).type('application/json').send(body);
  });
  app.setNotFoundHandler((req: FastifyRequest, reply: FastifyReply) => {
    // The dashboard's deep links: its index.html for an HTML GET outside /api.
    if (opts.fallback?.(req, reply)) return reply;
    const path = req.url.split('?')[0] ?? req.url;
    const body: ErrorBody = { error: `no route ${req.method} ${path}`, code: 'not_found' };
    return reply.code(404).type('application/json').send(body);
  });
}
