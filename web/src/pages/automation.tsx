import { useMutation, useQuery } from '@tanstack/react-query';
import { useParams } from '@tanstack/react-router';
import { useState, type FormEvent } from 'react';
import { api, seg } from '../api';
import { canEdit, queryClient, useMe, useProject } from '../queries';
import {
  ConfirmButton,
  CopyButton,
  Empty,
  ErrorBox,
  fmtTime,
  Loading,
  Status,
  usePageTitle,
  DataTable,
  TextInput,
} from '../ui/kit';

interface Token {
  id: string;
  name: string;
  prefix: string;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
}

interface Delivery {
  id: string;
  runId: string;
  url: string;
  event: string;
  status: string;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: string;
}

/** Ready-to-paste pipeline snippets with this server and project filled in. */
export function ciSnippets(origin: string, slug: string): { name: string; text: string }[] {
  const trigger = `${origin}/api/v1/projects/${slug}/trigger`;
  return [
    {
      name: 'GitHub Actions',
      text: `# .github/workflows/greenlight.yml — add the token as the secret GREENLIGHT_TOKEN
name: Greenlight
on: [push]
jobs:
  greenlight:
    runs-on: ubuntu-latest
    steps:
      - name: Run the Greenlight quality gate
        run: |
          curl -fsS -X POST "${trigger}?wait=true" \\
            -H "Authorization: Bearer \${{ secrets.GREENLIGHT_TOKEN }}" \\
            -H "Content-Type: application/json" \\
            -H "Idempotency-Key: \${{ github.run_id }}-\${{ github.run_attempt }}" \\
            -d '{"git":{"repository":"\${{ github.repository }}","ref":"\${{ github.ref_name }}","commitSha":"\${{ github.sha }}"}}'
`,
    },
    {
      name: 'GitLab CI',
      text: `# .gitlab-ci.yml — add the token as the masked CI/CD variable GREENLIGHT_TOKEN
greenlight:
  stage: test
  script:
    - |
      curl -fsS -X POST "${trigger}?wait=true" \\
        -H "Authorization: Bearer $GREENLIGHT_TOKEN" -H "Content-Type: application/json" \\
        -H "Idempotency-Key: $CI_JOB_ID" \\
        -d "{\\"git\\":{\\"ref\\":\\"$CI_COMMIT_REF_NAME\\",\\"commitSha\\":\\"$CI_COMMIT_SHA\\"}}"
`,
    },
    {
      name: 'curl',
      text: `curl -X POST -H "Authorization: Bearer $GREENLIGHT_TOKEN" -H "Content-Type: application/json" \\
  "${trigger}"
# → 202 {"runId":"…","statusUrl":"…"}; poll statusUrl until status is no longer "running"
`,
    },
  ];
}

/** Trigger tokens (shown once), CI snippets, and the callback delivery log with redeliver. */
export default function Automation() {
  usePageTitle('Automation');
  const { projectId } = useParams({ from: '/app/projects/$projectId/automation' });
  const project = useProject(projectId);
  const me = useMe();
  const editor = canEdit(me.data);
  const base = `/projects/${seg(projectId)}`;
  const [name, setName] = useState('CI');
  const [created, setCreated] = useState<(Token & { token: string }) | null>(null);
  const tokens = useQuery({
    queryKey: ['tokens', projectId],
    queryFn: () => api<{ items: Token[] }>(`${base}/trigger-tokens`),
  });
  const deliveries = useQuery({
    queryKey: ['deliveries', projectId],
    queryFn: () => api<{ items: Delivery[] }>(`${base}/deliveries?limit=20`),
  });
  const create = useMutation({
    mutationFn: () =>
      api<Token & { token: string }>(`${base}/trigger-tokens`, { method: 'POST', body: { name } }),
    onSuccess: async (t) => {
      setCreated(t);
      await queryClient.invalidateQueries({ queryKey: ['tokens', projectId] });
    },
  });
  const revoke = useMutation({
    mutationFn: (id: string) => api(`${base}/trigger-tokens/${seg(id)}`, { method: 'DELETE' }),
    onSuccess: async () => {
      setCreated(null);
      await queryClient.invalidateQueries({ queryKey: ['tokens', projectId] });
    },
  });
  const redeliver = useMutation({
    mutationFn: (id: string) => api(`${base}/deliveries/${seg(id)}/redeliver`, { method: 'POST' }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['deliveries', projectId] }),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  const [tab, setTab] = useState(0);
  const snippets = ciSnippets(window.location.origin, project.data?.slug ?? projectId);
  const snippet = snippets[tab] ?? snippets[0]!;
  return (
    <>
      <h1 tabIndex={-1}>Automation</h1>
      <h2>Trigger tokens</h2>
      <p className="muted small">
        A token starts runs of this project from CI and reads their status; nothing else.
      </p>
      {editor ? (
        <form className="card row" onSubmit={submit} aria-label="New trigger token">
          <TextInput label="Token name" required value={name} onChange={setName} />
          <button type="submit" className="primary" disabled={create.isPending}>
            Create token
          </button>
        </form>
      ) : null}
      <ErrorBox error={create.error ?? revoke.error} />
      {created ? (
        <div className="card" role="status">
          <p>
            <strong>Copy the token now: it is shown only once.</strong> Store it as the CI secret{' '}
            <code>GREENLIGHT_TOKEN</code>.
          </p>
          <div className="row">
            <code className="secret" aria-label="Token value">
              {created.token}
            </code>
            <CopyButton value={created.token} label="Copy token" />
          </div>
        </div>
      ) : null}
      {tokens.isPending ? <Loading /> : null}
      <ErrorBox error={tokens.error} />
      {tokens.data && tokens.data.items.length === 0 ? (
        <Empty title="No trigger tokens">
          <p>Create one to trigger runs from GitHub Actions, GitLab CI or any script.</p>
        </Empty>
      ) : null}
      {tokens.data && tokens.data.items.length > 0 ? (
        <DataTable
          caption="Trigger tokens"
          head={[
            'Name',
            'Starts with',
            { label: 'Created', hideSm: true },
            'Last used',
            { label: 'Actions', srOnly: true },
          ]}
        >
          {tokens.data.items.map((t) => (
            <tr key={t.id}>
              <td>{t.name}</td>
              <td className="mono">{t.prefix}…</td>
              <td className="hide-sm small">{fmtTime(t.createdAt)}</td>
              <td className="small">{t.lastUsedAt ? fmtTime(t.lastUsedAt) : 'never'}</td>
              <td>
                {editor ? (
                  <ConfirmButton
                    label={`Revoke ${t.name}`}
                    question={`Revoke “${t.name}”? Pipelines using it get 401.`}
                    confirmLabel="Yes, revoke"
                    onConfirm={() => revoke.mutate(t.id)}
                  />
                ) : null}
              </td>
            </tr>
          ))}
        </DataTable>
      ) : null}
      <h2>CI snippets</h2>
      <div role="tablist" aria-label="CI system" className="row">
        {snippets.map((s, i) => (
          <button
            key={s.name}
            type="button"
            role="tab"
            id={`snip-${i}`}
            aria-selected={tab === i}
            aria-controls="snip-panel"
            onClick={() => setTab(i)}
          >
            {s.name}
          </button>
        ))}
      </div>
      <div role="tabpanel" id="snip-panel" aria-labelledby={`snip-${tab}`}>
        <pre>{snippet.text}</pre>
        <CopyButton value={snippet.text} label={`Copy the ${snippet.name} snippet`} />
      </div>
      <h2>Callback deliveries</h2>
      <ErrorBox error={deliveries.error ?? redeliver.error} />
      {deliveries.data && deliveries.data.items.length === 0 ? (
        <p className="muted">
          No deliveries yet. A trigger with <code>callbackUrl</code> gets a signed POST when its run
          ends.
        </p>
      ) : null}
      {deliveries.data && deliveries.data.items.length > 0 ? (
        <DataTable
          caption="Callback deliveries"
          head={['When', 'URL', 'Status', 'Attempts', { label: 'Actions', srOnly: true }]}
        >
          {deliveries.data.items.map((d) => (
            <tr key={d.id}>
              <td className="small">{fmtTime(d.createdAt)}</td>
              <td className="mono small">{d.url}</td>
              <td>
                <Status value={d.status} />
                {d.lastError ? <div className="small">{d.lastError}</div> : null}
              </td>
              <td>{d.attempts}</td>
              <td>
                {editor ? (
                  <button
                    type="button"
                    onClick={() => redeliver.mutate(d.id)}
                    aria-label={`Redeliver ${d.id}`}
                  >
                    Redeliver
                  </button>
                ) : null}
              </td>
            </tr>
          ))}
        </DataTable>
      ) : null}
    </>
  );
}
