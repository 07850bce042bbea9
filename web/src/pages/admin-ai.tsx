import { useMutation, useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api } from '../api';
import { queryClient } from '../queries';
import {
  ConfirmButton,
  ErrorBox,
  Field,
  fmtTime,
  Loading,
  TextInput,
  usePageTitle,
} from '../ui/kit';

type Provider = 'openai' | 'ollama';
interface AiSettings {
  source: 'settings' | 'environment' | 'none';
  provider: Provider | null;
  baseUrl: string | null;
  model: string | null;
  hasKey: boolean;
  keyLast4: string | null;
  updatedAt: string | null;
  updatedBy: string | null;
  environment: { configured: boolean; provider: Provider | null; model: string | null };
}
interface Check {
  ok: boolean;
  latencyMs: number;
  error: string | null;
}

const sourceText: Record<AiSettings['source'], string> = {
  settings: 'this workspace’s setting',
  environment: 'the server’s environment variables (GREENLIGHT_LLM_*)',
  none: 'nothing: test drafting uses heuristics only',
};

/** Settings → AI provider: the LLM that drafts tests, its key (never shown again), a live check. */
export default function AdminAi() {
  usePageTitle('AI provider');
  const current = useQuery({
    queryKey: ['settings-ai'],
    queryFn: () => api<AiSettings>('/settings/ai'),
  });
  const [provider, setProvider] = useState<Provider>('openai');
  const [baseUrl, setBaseUrl] = useState('');
  const [model, setModel] = useState('');
  const [apiKey, setApiKey] = useState('');
  const save = useMutation({
    mutationFn: () =>
      api<AiSettings>('/settings/ai', {
        method: 'PUT',
        body: {
          provider,
          baseUrl: baseUrl.trim() === '' ? null : baseUrl.trim(),
          model: model.trim() === '' ? null : model.trim(),
          ...(apiKey !== '' ? { apiKey } : {}),
        },
      }),
    onSuccess: (data) => {
      setApiKey('');
      queryClient.setQueryData(['settings-ai'], data);
    },
  });
  const remove = useMutation({
    mutationFn: () => api<AiSettings>('/settings/ai', { method: 'DELETE' }),
    onSuccess: (data) => queryClient.setQueryData(['settings-ai'], data),
  });
  const check = useMutation({
    mutationFn: () => api<Check>('/settings/ai/check', { method: 'POST' }),
  });
  const s = current.data;
  return (
    <>
      <h1 tabIndex={-1}>AI provider</h1>
      <p className="muted">
        An LLM drafts tests from a sentence and names crawled pages’ tests. A setting here wins over
        the server’s environment variables. The API key is stored encrypted and never shown again.
      </p>
      {current.isPending ? <Loading what="Reading the AI settings" /> : null}
      <ErrorBox error={current.error} />
      {s ? (
        <section aria-labelledby="h-current">
          <h2 id="h-current">In force</h2>
          <dl className="kv card">
            <dt>From</dt>
            <dd>{sourceText[s.source]}</dd>
            <dt>Provider</dt>
            <dd>{s.provider ?? '—'}</dd>
            <dt>Base URL</dt>
            <dd className="mono">{s.baseUrl ?? '—'}</dd>
            <dt>Model</dt>
            <dd>{s.model ?? '—'}</dd>
            <dt>API key</dt>
            <dd>{s.hasKey ? `set, ending in ${s.keyLast4 ?? ''}` : 'none'}</dd>
            {s.updatedAt ? (
              <>
                <dt>Changed</dt>
                <dd>
                  {fmtTime(s.updatedAt)}
                  {s.updatedBy ? ` by ${s.updatedBy}` : ''}
                </dd>
              </>
            ) : null}
          </dl>
          <div className="row">
            <button type="button" onClick={() => check.mutate()} disabled={check.isPending}>
              Check connection
            </button>
            {s.source === 'settings' ? (
              <ConfirmButton
                label="Remove setting"
                question="Remove this workspace’s AI provider setting?"
                confirmLabel="Yes, remove"
                onConfirm={() => remove.mutate()}
              />
            ) : null}
          </div>
          <ErrorBox error={check.error ?? remove.error} />
          {check.data ? (
            <p role="status">
              {check.data.ok
                ? `Connection works (${check.data.latencyMs} ms).`
                : `Connection failed: ${check.data.error ?? 'unknown error'}`}
            </p>
          ) : null}
        </section>
      ) : null}
      <form
        className="card"
        aria-labelledby="h-set"
        onSubmit={(e: FormEvent) => {
          e.preventDefault();
          save.mutate();
        }}
      >
        <h2 id="h-set" style={{ marginTop: 0 }}>
          Set the provider
        </h2>
        <Field label="Provider">
          {(id) => (
            <select
              id={id}
              value={provider}
              onChange={(e) => setProvider(e.target.value as Provider)}
            >
              <option value="openai">OpenAI-compatible API</option>
              <option value="ollama">Ollama</option>
            </select>
          )}
        </Field>
        <TextInput
          label="Base URL"
          hint="empty: the provider’s default"
          type="url"
          value={baseUrl}
          placeholder={
            provider === 'ollama' ? 'http://ollama.internal:11434' : 'https://api.openai.com/v1'
          }
          onChange={setBaseUrl}
        />
        <TextInput
          label="Model"
          hint="empty: the provider’s default"
          value={model}
          onChange={setModel}
        />
        <TextInput
          label="API key"
          hint={
            s?.source === 'settings' && s.hasKey
              ? 'empty: keep the saved key'
              : 'OpenAI-compatible APIs need one'
          }
          type="password"
          autoComplete="off"
          value={apiKey}
          onChange={setApiKey}
        />
        <ErrorBox error={save.error} />
        {save.isSuccess ? <p role="status">Saved.</p> : null}
        <button type="submit" className="primary" disabled={save.isPending}>
          Save provider
        </button>
      </form>
    </>
  );
}
