import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakeLlm, type FakeLlm } from '../fakes/llm-server.ts';
import { errorBody, startHarness, type Harness } from './api-harness.ts';
import { createMember } from './auth-helpers.ts';

// The AI provider through the API: a workspace setting that wins over GREENLIGHT_LLM_*, a key
// stored encrypted and never returned, a check that makes a real call (to the LLM fake, which
// checks each request against the documented API), and the SSRF guard on the configured URL.

const ENV_KEY = 'sk-env-key-0000';
const SET_KEY = 'sk-settings-key-9876';
const todo = {
  name: 'A visitor opens the shop',
  steps: [{ goto: '/' }, { expect: { visible: { role: 'heading', name: 'Shop' } } }],
};

let envLlm: FakeLlm;
let setLlm: FakeLlm;
let h: Harness;

beforeAll(async () => {
  envLlm = await startFakeLlm({ apiKey: ENV_KEY });
  setLlm = await startFakeLlm({ apiKey: SET_KEY });
  h = await startHarness({
    config: {
      llmProvider: 'openai',
      llmBaseUrl: envLlm.openAiBase,
      llmApiKey: ENV_KEY,
      llmModel: 'env-model',
      // The fakes listen on 127.0.0.1: the operator allows loopback targets here.
      allowPrivateUrls: ['loopback'],
    },
  });
});
afterAll(async () => {
  await h?.close();
  await envLlm?.close();
  await setLlm?.close();
});
afterEach(() => {
  expect(envLlm.violations).toEqual([]);
  expect(setLlm.violations).toEqual([]);
  envLlm.chats.length = 0;
  setLlm.chats.length = 0;
  setLlm.failWith(null);
});

describe('settings over the environment', () => {
  it('starts from the environment, then the saved setting wins, and removing it falls back', async () => {
    const before = await h.call('GET', '/api/v1/settings/ai');
    expect(before.body).toMatchObject({
      source: 'environment',
      provider: 'openai',
      baseUrl: envLlm.openAiBase,
      model: 'env-model',
      hasKey: true,
      keyLast4: '0000',
      environment: { configured: true, model: 'env-model', hasKey: true },
    });
    envLlm.script('{"ok":true}');
    const envCheck = await h.call('POST', '/api/v1/settings/ai/check');
    expect(envCheck.body).toMatchObject({ ok: true, source: 'environment', error: null });
    expect(envLlm.chats.map((c) => c.model)).toEqual(['env-model']);
    envLlm.chats.length = 0;

    const put = await h.call('PUT', '/api/v1/settings/ai', {
      provider: 'openai',
      baseUrl: setLlm.openAiBase,
      model: 'settings-model',
      apiKey: SET_KEY,
    });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({
      source: 'settings',
      provider: 'openai',
      baseUrl: setLlm.openAiBase,
      model: 'settings-model',
      hasKey: true,
      keyLast4: '9876',
      updatedBy: h.admin.email,
    });
    // The key never comes back, and is stored encrypted.
    expect(JSON.stringify(put.body)).not.toContain(SET_KEY);
    expect(JSON.stringify((await h.call('GET', '/api/v1/settings/ai')).body)).not.toContain(
      SET_KEY,
    );
    const row = await h.store.db
      .selectFrom('workspace_settings')
      .select(['secret', 'value'])
      .where('name', '=', 'ai')
      .executeTakeFirstOrThrow();
    expect(row.secret).toMatch(/^enc:v1:/);
    expect(row.secret).not.toContain(SET_KEY);
    expect(row.value).not.toContain(SET_KEY);

    setLlm.script('{"ok":true}');
    const check = await h.call('POST', '/api/v1/settings/ai/check');
    expect(check.body).toMatchObject({
      ok: true,
      source: 'settings',
      provider: 'openai',
      model: 'settings-model',
      error: null,
    });
    expect(check.body.latencyMs).toBeGreaterThanOrEqual(0);
    expect(setLlm.chats.map((c) => c.model)).toEqual(['settings-model']);
    expect(envLlm.chats).toEqual([]);

    // Drafting a test uses the setting too.
    await h.call('POST', '/api/v1/projects', {
      name: 'AI',
      slug: 'ai',
      baseUrl: 'https://shop.example.com',
    });
    setLlm.script(JSON.stringify(todo));
    const drafted = await h.call('POST', '/api/v1/projects/ai/tests/generate', {
      sentence: 'a visitor opens the shop',
    });
    expect(drafted.status).toBe(201);
    expect(drafted.body).toMatchObject({ name: todo.name, status: 'draft' });
    expect(setLlm.chats).toHaveLength(2);

    // Changing the model without a key keeps the saved key.
    const kept = await h.call('PUT', '/api/v1/settings/ai', {
      provider: 'openai',
      baseUrl: setLlm.openAiBase,
      model: 'settings-model-2',
    });
    expect(kept.body).toMatchObject({ model: 'settings-model-2', keyLast4: '9876' });

    const removed = await h.call('DELETE', '/api/v1/settings/ai');
    expect(removed.body).toMatchObject({ source: 'environment', model: 'env-model' });
    envLlm.script('{"ok":true}');
    expect((await h.call('POST', '/api/v1/settings/ai/check')).body.source).toBe('environment');
    expect(envLlm.chats).toHaveLength(1);
  });

  it('speaks Ollama too, with no key', async () => {
    const put = await h.call('PUT', '/api/v1/settings/ai', {
      provider: 'ollama',
      baseUrl: setLlm.ollamaBase,
      model: 'llama-test',
      apiKey: null,
    });
    expect(put.body).toMatchObject({ source: 'settings', provider: 'ollama', hasKey: false });
    setLlm.script('{"ok":true}');
    const check = await h.call('POST', '/api/v1/settings/ai/check');
    expect(check.body).toMatchObject({ ok: true, provider: 'ollama', model: 'llama-test' });
    expect(setLlm.chats.map((c) => c.model)).toEqual(['llama-test']);
    await h.call('DELETE', '/api/v1/settings/ai');
  });

  it('reports a failing provider with its reason, and checks unsaved values without saving', async () => {
    setLlm.failWith(503);
    const body = { provider: 'openai', baseUrl: setLlm.openAiBase, model: 'm', apiKey: SET_KEY };
    const failed = await h.call('POST', '/api/v1/settings/ai/check', body);
    expect(failed.status).toBe(200);
    expect(failed.body).toMatchObject({ ok: false, source: 'settings' });
    expect(failed.body.error).toContain('503');
    expect((await h.call('GET', '/api/v1/settings/ai')).body.source).toBe('environment');

    setLlm.failWith(null);
    const closed = await startFakeLlm();
    const url = closed.openAiBase;
    await closed.close();
    const unreachable = await h.call('POST', '/api/v1/settings/ai/check', {
      ...body,
      baseUrl: url,
    });
    expect(unreachable.body.ok).toBe(false);
    expect(unreachable.body.error).toContain('could not be reached');
  });

  it('refuses bad input with the error shape', async () => {
    const e1 = errorBody(
      await h.call('PUT', '/api/v1/settings/ai', {
        provider: 'openai',
        baseUrl: setLlm.openAiBase,
      }),
      400,
      'validation_failed',
    );
    expect(e1.error).toContain('API key');
    errorBody(
      await h.call('PUT', '/api/v1/settings/ai', { provider: 'gemini', apiKey: SET_KEY }),
      400,
      'validation_failed',
    );
    errorBody(
      await h.call('PUT', '/api/v1/settings/ai', {
        provider: 'ollama',
        baseUrl: 'file:///etc/passwd',
      }),
      400,
      'validation_failed',
    );
    errorBody(
      await h.call('PUT', '/api/v1/settings/ai', { provider: 'ollama', surprise: true }),
      400,
      'validation_failed',
    );
  });

  it('is for admins of the workspace only', async () => {
    const editor = await createMember(h.store, { role: 'editor' });
    const auth = { authorization: `Bearer ${editor.apiKey}` };
    errorBody(await h.call('GET', '/api/v1/settings/ai', undefined, auth), 403, 'forbidden');
    errorBody(
      await h.call('PUT', '/api/v1/settings/ai', { provider: 'ollama' }, auth),
      403,
      'forbidden',
    );
    errorBody(await h.call('POST', '/api/v1/settings/ai/check', undefined, auth), 403, 'forbidden');
  });
});

describe('the SSRF guard on a configured URL', () => {
  let strict: Harness;
  beforeAll(async () => {
    strict = await startHarness({ config: { allowPrivateUrls: [] } });
  });
  afterAll(async () => strict?.close());

  it('refuses loopback and metadata addresses when saving or checking', async () => {
    for (const baseUrl of [setLlm.openAiBase, 'http://169.254.169.254/v1', 'http://[::1]:9/v1']) {
      const e = errorBody(
        await strict.call('PUT', '/api/v1/settings/ai', {
          provider: 'openai',
          baseUrl,
          apiKey: SET_KEY,
        }),
        400,
        'validation_failed',
      );
      expect(e.error).toMatch(/LLM API URL host .* resolves to a (loopback|link-local)/);
      errorBody(
        await strict.call('POST', '/api/v1/settings/ai/check', {
          provider: 'openai',
          baseUrl,
          apiKey: SET_KEY,
        }),
        400,
        'validation_failed',
      );
    }
    expect(setLlm.chats).toEqual([]);
  });

  it('checks every call again: a saved loopback URL is refused at call time', async () => {
    // Saved before the operator closed the guard (or through the store): the call is refused.
    await strict.store.workspaceSettings.set(
      strict.admin.workspaceId,
      'ai',
      { provider: 'openai', baseUrl: setLlm.openAiBase, model: 'm' },
      { secret: SET_KEY, by: 'test' },
    );
    const check = await strict.call('POST', '/api/v1/settings/ai/check');
    expect(check.body.ok).toBe(false);
    expect(check.body.error).toContain('loopback');
    expect(setLlm.chats).toEqual([]);
  });
});
