import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import {
  contactTopics,
  demoUser,
  findProduct,
  productJson,
  products,
  seedTodos,
  type Todo,
} from './demo-data.ts';
import { cookie, readBody, redirect, safeNext, sendError, sendJson } from './demo-http.ts';

export const SESSION_COOKIE = 'acme_session';
const VISITOR_COOKIE = 'acme_visitor';
/** Bounds the in-memory stores: a long-running demo never grows without limit. */
const MAX_ENTRIES = 1000;

const emailPattern = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The sign-in rules, the same messages login.js shows before sending anything. */
function validateLogin(email: string, password: string): Record<string, string> {
  const errors: Record<string, string> = {};
  if (email.trim() === '') errors.email = 'Email is required';
  else if (!emailPattern.test(email.trim())) errors.email = 'Enter a valid email';
  if (password === '') errors.password = 'Password is required';
  else if (password.length < 8) errors.password = 'Password must be at least 8 characters';
  return errors;
}

const loginBody = z.object({
  email: z.string().max(320).default(''),
  password: z.string().max(200).default(''),
  next: z.string().max(500).optional(),
});

const todoCreate = z.strictObject({ title: z.string().trim().min(1, 'Enter a todo').max(200) });
const todoPatch = z.strictObject({
  title: z.string().trim().min(1).max(200).optional(),
  done: z.boolean().optional(),
});

const topicValues = contactTopics.map((t) => t.value) as [string, ...string[]];
const contactBody = z.strictObject({
  name: z.string().trim().min(1, 'Name is required').max(100),
  email: z.string().trim().regex(emailPattern, 'Enter a valid email'),
  topic: z.enum(topicValues, 'Choose a topic'),
  subscribe: z.boolean().default(false),
  message: z.string().trim().min(1, 'Message is required').max(2000),
  // The page sends what it knows about the chosen file; the demo keeps no file contents.
  attachment: z
    .strictObject({
      name: z.string().min(1).max(255),
      size: z.number().int().nonnegative().max(1_048_576, 'Attachments are limited to 1 MB'),
      type: z.string().max(100),
    })
    .nullable()
    .default(null),
});

function fieldErrors(error: z.ZodError): Record<string, string> {
  const out: Record<string, string> = {};
  for (const issue of error.issues) {
    const key = issue.path.map(String).join('.') || 'body';
    out[key] ??= issue.message;
  }
  return out;
}

/** A Map that forgets its oldest entry once full. */
function remember<V>(map: Map<string, V>, key: string, value: V): void {
  if (map.size >= MAX_ENTRIES) {
    const oldest = map.keys().next().value;
    if (oldest !== undefined) map.delete(oldest);
  }
  map.set(key, value);
}

export interface DemoApi {
  /** Answers /api/* and /logout; returns false when the route is not an API route. */
  handle(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    cookies: Record<string, string>,
  ): Promise<boolean>;
  /** The signed-in user of a request, if any. */
  sessionUser(cookies: Record<string, string>): { email: string; name: string } | undefined;
}

/** The JSON endpoints of one demo site; sessions and todos live as long as the site. */
export function createDemoApi(): DemoApi {
  const sessions = new Map<string, { email: string; name: string }>();
  // Todos are kept per visitor cookie, so tests in separate browser contexts never interfere.
  const visitors = new Map<string, { todos: Todo[]; nextId: number }>();

  function visitorOf(res: ServerResponse, cookies: Record<string, string>) {
    const id = cookies[VISITOR_COOKIE];
    const known = id !== undefined ? visitors.get(id) : undefined;
    if (known) return known;
    const fresh = { todos: seedTodos(), nextId: 4 };
    const newId = randomUUID();
    remember(visitors, newId, fresh);
    res.setHeader('set-cookie', cookie(VISITOR_COOKIE, newId));
    return fresh;
  }

  function todoList(todos: Todo[]) {
    return { items: todos, left: todos.filter((t) => !t.done).length };
  }

  async function login(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const parsed = loginBody.safeParse(body.data);
    const input = parsed.success ? parsed.data : { email: '', password: '', next: undefined };
    const target = safeNext(input.next, '/dashboard');
    const errors = validateLogin(input.email, input.password);
    const ok =
      Object.keys(errors).length === 0 &&
      input.email.trim().toLowerCase() === demoUser.email &&
      input.password === demoUser.password;
    if (body.kind === 'form') {
      // A browser without JavaScript posts the form itself: answer with a page, not JSON.
      if (!ok) {
        const reason = Object.keys(errors).length > 0 ? 'validation' : 'invalid';
        redirect(res, `/login?error=${reason}`, 303);
        return;
      }
    } else if (Object.keys(errors).length > 0) {
      sendError(res, 400, 'validation_failed', 'Check the highlighted fields', { fields: errors });
      return;
    } else if (!ok) {
      sendError(res, 401, 'invalid_credentials', 'Invalid email or password');
      return;
    }
    const token = randomUUID();
    remember(sessions, token, { email: demoUser.email, name: demoUser.name });
    const setCookie = cookie(SESSION_COOKIE, token);
    if (body.kind === 'form') redirect(res, target, 303, { 'set-cookie': setCookie });
    else
      sendJson(
        res,
        200,
        { user: sessions.get(token), redirect: target },
        { 'set-cookie': setCookie },
      );
  }

  async function todos(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    cookies: Record<string, string>,
  ): Promise<void> {
    const visitor = visitorOf(res, cookies);
    const method = req.method ?? 'GET';
    if (path === '/api/todos') {
      if (method === 'GET') return sendJson(res, 200, todoList(visitor.todos));
      if (method !== 'POST') return sendError(res, 405, 'method_not_allowed', 'use GET or POST');
      const parsed = todoCreate.safeParse((await readBody(req)).data);
      if (!parsed.success) {
        return sendError(res, 400, 'validation_failed', 'Invalid todo', {
          fields: fieldErrors(parsed.error),
        });
      }
      const item = { id: visitor.nextId++, title: parsed.data.title, done: false };
      visitor.todos.push(item);
      return sendJson(res, 201, { item, left: todoList(visitor.todos).left });
    }
    const id = Number(path.slice('/api/todos/'.length));
    const item = visitor.todos.find((t) => t.id === id);
    if (!item) return sendError(res, 404, 'not_found', 'todo not found');
    if (method === 'DELETE') {
      visitor.todos = visitor.todos.filter((t) => t !== item);
      return sendJson(res, 204, null);
    }
    if (method !== 'PATCH') return sendError(res, 405, 'method_not_allowed', 'use PATCH or DELETE');
    const parsed = todoPatch.safeParse((await readBody(req)).data);
    if (!parsed.success) {
      return sendError(res, 400, 'validation_failed', 'Invalid todo', {
        fields: fieldErrors(parsed.error),
      });
    }
    if (parsed.data.title !== undefined) item.title = parsed.data.title;
    if (parsed.data.done !== undefined) item.done = parsed.data.done;
    sendJson(res, 200, { item, left: todoList(visitor.todos).left });
  }

  let nextMessage = 1001;
  async function contact(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const parsed = contactBody.safeParse((await readBody(req)).data);
    if (!parsed.success) {
      return sendError(res, 400, 'validation_failed', 'Check the highlighted fields', {
        fields: fieldErrors(parsed.error),
      });
    }
    const m = parsed.data;
    const topic = contactTopics.find((t) => t.value === m.topic)?.label ?? m.topic;
    sendJson(res, 201, {
      id: `MSG-${nextMessage++}`,
      name: m.name,
      topic,
      subscribed: m.subscribe,
      attachment: m.attachment,
    });
  }

  return {
    sessionUser(cookies) {
      const token = cookies[SESSION_COOKIE];
      return token !== undefined ? sessions.get(token) : undefined;
    },

    async handle(req, res, path, cookies) {
      const method = req.method ?? 'GET';
      const read = method === 'GET' || method === 'HEAD';
      if (path === '/api/health' && read) sendJson(res, 200, { status: 'ok' });
      else if (path === '/api/products' && read) {
        sendJson(res, 200, { items: products.map(productJson), total: products.length });
      } else if (path.startsWith('/api/products/') && read) {
        const p = findProduct(decodeURIComponent(path.slice('/api/products/'.length)));
        if (p) sendJson(res, 200, productJson(p));
        else sendError(res, 404, 'not_found', 'product not found');
      } else if (path === '/api/login' && method === 'POST') await login(req, res);
      else if (path === '/logout' && method === 'POST') {
        const token = cookies[SESSION_COOKIE];
        if (token !== undefined) sessions.delete(token);
        redirect(res, '/login', 303, { 'set-cookie': cookie(SESSION_COOKIE, '', 0) });
      } else if (path === '/api/todos' || /^\/api\/todos\/\d+$/.test(path)) {
        await todos(req, res, path, cookies);
      } else if (path === '/api/contact' && method === 'POST') await contact(req, res);
      else if (path === '/api/login' || path === '/api/contact') {
        sendError(res, 405, 'method_not_allowed', 'use POST');
      } else if (path.startsWith('/api/')) sendError(res, 404, 'not_found', 'no such endpoint');
      else return false;
      return true;
    },
  };
}
