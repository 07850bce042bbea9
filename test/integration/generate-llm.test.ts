import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { draftTestFromSentence, nameTests } from '../../src/crawl/llm/llm-generate.ts';
import { draftJourneys } from '../../src/crawl/llm/llm-journeys.ts';
import { ollamaProvider } from '../../src/crawl/llm/ollama.ts';
import { openAiCompatibleProvider } from '../../src/crawl/llm/openai-compatible.ts';
import { createLlmProvider } from '../../src/crawl/llm/provider.ts';
import { generateTests } from '../../src/crawl/generate.ts';
import type { SiteMap } from '../../src/crawl/site-map.ts';
import { loadConfig } from '../../src/config.ts';
import { AppError } from '../../src/domain/errors.ts';
import { parseTestDocument } from '../../src/domain/test-definition.ts';
import { startFakeLlm, type FakeLlm } from '../fakes/llm-server.ts';
import { errorBody, startHarness, type Harness } from './api-harness.ts';
import { createMember } from './auth-helpers.ts';

const KEY = 'sk-test-123';
const MODEL = 'gpt-test';
const site = JSON.parse(
  readFileSync(new URL('../fixtures/crawl/demo-site.json', import.meta.url), 'utf8'),
) as SiteMap;

const validTest = {
  name: 'A user can add a todo and mark it done',
  tags: ['todos'],
  status: 'approved', // a model must not approve its own work: dropped
  steps: [
    { goto: '/app' },
    { fill: { label: 'New todo' }, value: 'Buy milk' },
    { click: { role: 'button', name: 'Add' } },
    { check: { role: 'checkbox', name: 'Buy milk' } },
    { expect: { checked: { role: 'checkbox', name: 'Buy milk' } } },
  ],
};
// Plausible model mistakes: an unknown action and a locator with two kinds.
const invalidTest = { name: 'Add a todo', steps: [{ navigate: '/app' }] };
const stillInvalid = { name: 'Add a todo', steps: [{ click: { role: 'button', text: 'Add' } }] };

const journey = (name: string, path: string, heading: string) => ({
  name,
  steps: [
    { goto: '/' },
    { click: { role: 'link', name: 'Products' } },
    { expect: { url: '/products' } },
    { goto: path },
    { expect: { visible: { role: 'heading', name: heading } } },
  ],
});
const planner = journey(
  'A visitor finds the paper planner',
  '/products/paper-planner',
  'Paper Planner',
);
const board = journey(
  'A visitor finds the task board',
  '/products/task-board',
  'Magnetic Task Board',
);
const timer = journey('A visitor finds the focus timer', '/products/focus-timer', 'Focus Timer');
const brokenTimer = { ...timer, steps: [{ navigate: '/' }, ...timer.steps.slice(1)] };

let llm: FakeLlm;
beforeAll(async () => {
  llm = await startFakeLlm({ apiKey: KEY, model: MODEL });
});
afterAll(async () => {
  await llm.close();
});
afterEach(() => {
  // Every request the fake saw matched the documented API shape.
  expect(llm.violations).toEqual([]);
  llm.chats.length = 0;
  llm.failWith(null);
});

const openai = () =>
  openAiCompatibleProvider({ baseUrl: llm.openAiBase, apiKey: KEY, model: MODEL });

describe('draftTestFromSentence', () => {
  it('sends the validation error back and accepts the corrected answer', async () => {
    llm.script(JSON.stringify(invalidTest), '```json\n' + JSON.stringify(validTest) + '\n```');
    const doc = await draftTestFromSentence(
      openai(),
      'a user can add a todo and mark it done',
      site,
    );
    expect(doc.status).toBe('draft');
    expect(doc.tags).toEqual(['todos', 'llm']);
    expect(doc.steps).toHaveLength(5);
    expect(parseTestDocument(JSON.parse(JSON.stringify(doc)))).toEqual(doc);

    expect(llm.chats).toHaveLength(2);
    const [first, second] = llm.chats;
    const system = first?.messages[0]?.content ?? '';
    expect(system).toContain('"$id":"https://greenlight.dev/schemas/test.json"');
    const user = first?.messages[1]?.content ?? '';
    expect(user).toContain('a user can add a todo and mark it done');
    expect(user).toContain('Page /app — title "Todos · Acme Tasks"'); // the page snapshot
    expect(user).toContain('form GET → submit "Add": New todo (text)');
    // The retry carries the whole conversation: the bad answer, then what was wrong with it.
    const retry = second?.messages ?? [];
    expect(retry.slice(0, 2)).toEqual(first?.messages);
    expect(retry[2]).toEqual({ role: 'assistant', content: JSON.stringify(invalidTest) });
    expect(retry[3]?.role).toBe('user');
    expect(retry[3]?.content).toMatch(/step 1.*unknown step \(keys: navigate\)/);
  });

  it('gives up after two corrections with a clear unprocessable error', async () => {
    llm.script(JSON.stringify(invalidTest), 'not json at all', JSON.stringify(stillInvalid));
    const err = await draftTestFromSentence(openai(), 'add a todo').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('unprocessable');
    expect((err as AppError).message).toMatch(
      /did not write a valid test in 3 attempts; last problem: .*exactly one of/,
    );
    expect(llm.chats).toHaveLength(3);
    expect(llm.chats[2]?.messages.at(-1)?.content).toMatch(/not valid JSON/);
  });

  it('speaks Ollama: /api/chat, stream false, format json', async () => {
    llm.script(JSON.stringify(validTest));
    const provider = ollamaProvider({ baseUrl: llm.ollamaBase, model: MODEL });
    const doc = await draftTestFromSentence(provider, 'a user can add a todo');
    expect(doc.name).toBe(validTest.name);
    expect(llm.requests.at(-1)?.path).toBe('/api/chat');
    expect(llm.requests.at(-1)?.headers.authorization).toBeUndefined();
  });

  it('reports an API outage as unavailable, without the key', async () => {
    llm.failWith(503);
    const err = await draftTestFromSentence(openai(), 'add a todo').catch((e: unknown) => e);
    expect((err as AppError).code).toBe('unavailable');
    expect((err as AppError).message).toMatch(/openai:gpt-test\) answered 503/);
    expect((err as AppError).message).not.toContain(KEY);
  });
});

describe('provider selection and naming', () => {
  it('no key configured means no provider (heuristics only), never an error', () => {
    expect(createLlmProvider(loadConfig({}))).toBeNull();
    expect(createLlmProvider(loadConfig({ GREENLIGHT_LLM_API_KEY: 'k' }))?.label).toBe(
      'openai:gpt-4o-mini',
    );
    expect(
      createLlmProvider(
        loadConfig({ GREENLIGHT_LLM_PROVIDER: 'ollama', GREENLIGHT_LLM_MODEL: 'qwen' }),
      )?.label,
    ).toBe('ollama:qwen');
  });

  it('names generated tests with the model, keeping heuristic names it leaves out', async () => {
    const docs = generateTests(site, [], { kinds: ['journey'] }).slice(0, 2);
    llm.script(JSON.stringify({ names: { '0': 'Products are reachable from the menu' } }));
    const named = await nameTests(openai(), docs);
    expect(named[0]?.name).toBe('Products are reachable from the menu');
    expect(named[1]?.name).toBe(docs[1]?.name);
    expect(await nameTests(null, docs)).toEqual(docs);
    llm.failWith(500);
    expect(await nameTests(openai(), docs)).toEqual(docs); // best effort: failures keep names
  });
});

describe('draftJourneys', () => {
  it('keeps valid journeys and sends the invalid one back once for a fix', async () => {
    llm.script(
      JSON.stringify({ tests: [planner, brokenTimer, board] }),
      JSON.stringify({ tests: [timer] }),
    );
    const docs = await draftJourneys(openai(), site, { max: 5 });
    expect(docs.map((d) => d.name)).toEqual([planner.name, board.name, timer.name]);
    expect(docs[0]).toMatchObject({
      key: 'llm:journey:a-visitor-finds-the-paper-planner',
      tags: ['generated', 'journey'],
      status: 'draft',
    });
    for (const d of docs) expect(parseTestDocument(JSON.parse(JSON.stringify(d)))).toEqual(d);

    expect(llm.chats).toHaveLength(2);
    const [first, second] = llm.chats;
    expect(first?.messages[0]?.content).toContain(
      '"$id":"https://greenlight.dev/schemas/test.json"',
    );
    expect(first?.messages[1]?.content).toContain('Page /app — title "Todos · Acme Tasks"');
    expect(first?.messages[1]?.content).toContain('up to 5 multi-page user journeys');
    const fix = second?.messages.at(-1)?.content ?? '';
    expect(fix).toContain(`test "${timer.name}"`);
    expect(fix).toMatch(/unknown step \(keys: navigate\)/);
    expect(fix).not.toContain(planner.name);
  });

  it('drops what is still invalid after the fix round, with a logged reason', async () => {
    llm.script(
      JSON.stringify({ tests: [planner, brokenTimer] }),
      JSON.stringify({ tests: [brokenTimer] }),
    );
    const warned: unknown[] = [];
    const docs = await draftJourneys(openai(), site, {
      log: { warn: (obj) => warned.push(obj) },
    });
    expect(docs.map((d) => d.name)).toEqual([planner.name]);
    expect(llm.chats).toHaveLength(2); // one fix round, no more
    expect(warned).toEqual([
      expect.objectContaining({
        journey: `test "${timer.name}"`,
        reason: expect.stringMatching(/navigate/),
      }),
    ]);
  });

  it('drops a journey that submits a form the crawl flagged destructive', async () => {
    const withDanger: SiteMap = {
      ...site,
      pages: [
        ...site.pages,
        {
          ...(site.pages[0] as SiteMap['pages'][number]),
          url: `${site.origin}/account`,
          path: '/account',
          title: 'Account · Acme Tasks',
          forms: [
            {
              action: `${site.origin}/account/delete`,
              method: 'POST',
              fields: [],
              submitText: 'Delete account',
              destructive: true,
            },
          ],
        },
      ],
    };
    const deleting = {
      name: 'A user deletes the account',
      steps: [
        { goto: '/account' },
        { click: { role: 'button', name: 'Delete' } },
        { expect: { url: '/' } },
      ],
    };
    llm.script(JSON.stringify({ tests: [deleting, planner] }));
    const warned: unknown[] = [];
    const docs = await draftJourneys(openai(), withDanger, {
      log: { warn: (obj) => warned.push(obj) },
    });
    expect(docs.map((d) => d.name)).toEqual([planner.name]);
    expect(llm.chats).toHaveLength(1);
    expect(llm.chats[0]?.messages[1]?.content).toContain(
      'submit "Delete account" [destructive: never submit]',
    );
    expect(warned).toEqual([
      expect.objectContaining({
        reason: expect.stringMatching(/step 2 submits the destructive form/),
      }),
    ]);
  });
});

describe('generate API', () => {
  let withLlm: Harness;
  let without: Harness;
  let projectId: string;
  beforeAll(async () => {
    withLlm = await startHarness({
      config: {
        llmApiKey: KEY,
        llmBaseUrl: llm.openAiBase,
        llmModel: MODEL,
        allowPrivateUrls: ['loopback'],
      },
    });
    without = await startHarness({ config: { allowPrivateUrls: ['loopback'] } });
    const p = await withLlm.call('POST', '/api/v1/projects', {
      slug: 'gen',
      name: 'Gen',
      baseUrl: 'http://127.0.0.1:4173',
    });
    expect(p.status).toBe(201);
    projectId = p.body.id;
    await without.call('POST', '/api/v1/projects', {
      slug: 'gen',
      name: 'Gen',
      baseUrl: 'http://127.0.0.1:4173',
    });
  });
  afterAll(async () => {
    await withLlm?.close();
    await without?.close();
  });

  it('POST /tests/generate drafts a test with source llm', async () => {
    llm.script(JSON.stringify(invalidTest), JSON.stringify(validTest));
    const res = await withLlm.call('POST', `/api/v1/projects/gen/tests/generate`, {
      sentence: 'a user can add a todo and mark it done',
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ status: 'draft', source: 'llm', name: validTest.name });
    expect(res.body.projectId).toBe(projectId);
  });

  it('answers 422 when the model never gets it right', async () => {
    llm.script(...Array(3).fill(JSON.stringify(invalidTest)));
    const res = await withLlm.call('POST', `/api/v1/projects/gen/tests/generate`, {
      sentence: 'add a todo',
    });
    expect(errorBody(res, 422, 'unprocessable').error).toMatch(/3 attempts/);
  });

  it('answers 400 saying an LLM must be configured when none is', async () => {
    const res = await without.call('POST', `/api/v1/projects/gen/tests/generate`, {
      sentence: 'add a todo',
    });
    expect(errorBody(res, 400, 'bad_request').error).toMatch(
      /needs an LLM.*GREENLIGHT_LLM_API_KEY/,
    );
  });

  it('needs editor rights', async () => {
    const viewer = await createMember(without.store, { role: 'viewer' });
    const res = await without.call(
      'POST',
      `/api/v1/projects/gen/tests/generate`,
      { sentence: 'add a todo' },
      { authorization: `Bearer ${viewer.apiKey}` },
    );
    expect(res.status).toBe(403);
  });

  it('POST /tests/generate-from-crawl stores the heuristic drafts once', async () => {
    const project = await without.store.projects.get('gen');
    if (!project) throw new Error('no project');
    const crawl = await without.store.crawls.create({ projectId: project.id, options: {} });
    const pending = await without.call('POST', `/api/v1/projects/gen/tests/generate-from-crawl`, {
      crawlId: crawl.id,
    });
    errorBody(pending, 409, 'conflict');
    await without.store.crawls.finish(crawl.id, {
      status: 'done',
      siteMap: site,
      pages: site.pages.length,
    });
    const res = await without.call('POST', `/api/v1/projects/gen/tests/generate-from-crawl`, {
      crawlId: crawl.id,
    });
    expect(res.status).toBe(201);
    expect(res.body.created).toBe(generateTests(site, []).length);
    expect(
      res.body.tests.every(
        (t: { status: string; source: string }) => t.status === 'draft' && t.source === 'crawl',
      ),
    ).toBe(true);
    const again = await without.call('POST', `/api/v1/projects/gen/tests/generate-from-crawl`, {
      crawlId: crawl.id,
    });
    expect(again.body.created).toBe(0);
    const missing = await without.call('POST', `/api/v1/projects/gen/tests/generate-from-crawl`, {
      crawlId: 'nope',
    });
    errorBody(missing, 404, 'not_found');
  });

  it('generate-from-crawl with journeys stores the LLM journeys as drafts (source llm)', async () => {
    const project = await withLlm.store.projects.get('gen');
    if (!project) throw new Error('no project');
    const crawl = await withLlm.store.crawls.create({ projectId: project.id, options: {} });
    await withLlm.store.crawls.finish(crawl.id, {
      status: 'done',
      siteMap: site,
      pages: site.pages.length,
    });
    // First the naming request for the heuristic drafts, then the journeys.
    llm.script(JSON.stringify({ names: {} }), JSON.stringify({ tests: [planner, board] }));
    const res = await withLlm.call('POST', `/api/v1/projects/gen/tests/generate-from-crawl`, {
      crawlId: crawl.id,
      journeys: true,
    });
    expect(res.status).toBe(201);
    const llmTests = res.body.tests.filter((t: { source: string }) => t.source === 'llm');
    expect(llmTests).toHaveLength(2);
    expect(llmTests[0]).toMatchObject({
      status: 'draft',
      key: 'llm:journey:a-visitor-finds-the-paper-planner',
      tags: ['generated', 'journey'],
    });
    expect(res.body.created).toBe(generateTests(site, []).length + 2);

    // Again: the same journeys are already there, so nothing new is stored.
    llm.script(JSON.stringify({ tests: [planner, board] }));
    const again = await withLlm.call('POST', `/api/v1/projects/gen/tests/generate-from-crawl`, {
      crawlId: crawl.id,
      journeys: true,
    });
    expect(again.status).toBe(201);
    expect(again.body.created).toBe(0);
  });

  it('generate-from-crawl with journeys and no LLM answers 400', async () => {
    const res = await without.call('POST', `/api/v1/projects/gen/tests/generate-from-crawl`, {
      crawlId: 'any',
      journeys: true,
    });
    expect(errorBody(res, 400, 'bad_request').error).toMatch(/"journeys": true needs an LLM/);
  });
});
