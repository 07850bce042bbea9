import { z } from 'zod';
import { startReceiver, type Receiver } from '../integration/callbacks-receiver.ts';

/** A webhook fake that keeps what passed its schema and why the rest did not. */
export interface SchemaWebhook<T> extends Receiver {
  /** Bodies that passed the schema, parsed. */
  messages: T[];
  /** Schema problems of bodies that did not. */
  problems: string[];
}

export interface SchemaWebhookAnswers {
  /** Body of the 200 answer to a valid message. */
  ok: string;
  /** Body of the 400 answer, given the problem. */
  rejected: (problem: string) => string;
  /** Refuse bodies not sent as application/json. */
  requireJson?: boolean;
}

/**
 * A local webhook (Slack, Teams, …) that checks each body against the service's documented
 * shape: 200 with `ok` for a valid one, 400 otherwise, and keeps both for the test to look at.
 */
export async function startSchemaWebhook<T>(
  schema: z.ZodType<T>,
  answers: SchemaWebhookAnswers,
  port = 0,
): Promise<SchemaWebhook<T>> {
  const messages: T[] = [];
  const problems: string[] = [];
  const r = await startReceiver((got, res) => {
    let body: unknown;
    try {
      body = JSON.parse(got.body);
    } catch {
      body = undefined;
    }
    const parsed = schema.safeParse(body);
    const jsonType =
      !answers.requireJson || String(got.headers['content-type']).startsWith('application/json');
    if (parsed.success && jsonType) {
      messages.push(parsed.data);
      res.statusCode = 200;
      res.end(answers.ok);
    } else {
      const problem = parsed.success ? 'not application/json' : z.prettifyError(parsed.error);
      problems.push(problem);
      res.statusCode = 400;
      res.end(answers.rejected(problem));
    }
  }, port);
  return Object.assign(r, { messages, problems });
}
