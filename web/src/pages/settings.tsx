import { useMutation, useQuery } from '@tanstack/react-query';
import { Link, useNavigate, useParams } from '@tanstack/react-router';
import { useEffect, useState, type FormEvent } from 'react';
import { api, seg } from '../api';
import { canEdit, queryClient, useMe, useProject } from '../queries';
import type { Project } from '../types';
import {
  ConfirmButton,
  CopyButton,
  ErrorBox,
  Field,
  fmtTime,
  usePageTitle,
  TextInput,
} from '../ui/kit';

const MASK = '••••••';

interface Environment {
  name: string;
  baseUrl: string | null;
  variables: Record<string, string>;
  secrets: Record<string, string>;
}

interface Channel {
  id: string;
  name: string;
  type: string;
  events: string[];
  enabled: boolean;
  config: Record<string, unknown>;
}

interface Schedule {
  id: string;
  name: string;
  cron: string;
  timezone: string;
  enabled: boolean;
  nextRunAt: string | null;
  lastError: string | null;
  lastRunId: string | null;
}

/** `A=1` lines ⇄ a record. */
const toLines = (r: Record<string, string>) =>
  Object.entries(r)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n');
function fromLines(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf('=');
    if (line.trim() === '') continue;
    if (i <= 0) throw new Error(`“${line}” is not NAME=value`);
    out[line.slice(0, i).trim()] = line.slice(i + 1);
  }
  return out;
}

function General({ project, editor }: { project: Project; editor: boolean }) {
  const [form, setForm] = useState(project);
  useEffect(() => setForm(project), [project]);
  const save = useMutation({
    mutationFn: () =>
      api<Project>(`/projects/${seg(project.id)}`, {
        method: 'PATCH',
        body: {
          name: form.name,
          baseUrl: form.baseUrl,
          parallelWorkers: form.parallelWorkers,
          retries: form.retries,
          failOnFlaky: form.failOnFlaky,
          healing: form.healing,
          concurrencyPolicy: form.concurrencyPolicy,
        },
      }),
    onSuccess: (p) => {
      queryClient.setQueryData(['project', project.slug], p);
      void queryClient.invalidateQueries({ queryKey: ['projects'] });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate();
  };
  return (
    <form className="card" onSubmit={submit} aria-labelledby="h-general">
      <h2 id="h-general" style={{ marginTop: 0 }}>
        General
      </h2>
      <fieldset disabled={!editor} style={{ border: 0, padding: 0, margin: 0 }}>
        <Field label="Name">
          {(id) => (
            <input
              id={id}
              value={form.name}
              onChange={(e) => setForm({ ...form, name: e.target.value })}
            />
          )}
        </Field>
        <Field label="Base URL">
          {(id) => (
            <input
              id={id}
              type="url"
              value={form.baseUrl}
              onChange={(e) => setForm({ ...form, baseUrl: e.target.value })}
            />
          )}
        </Field>
        <div className="row">
          <Field label="Parallel workers" hint="1–16">
            {(id) => (
              <input
                id={id}
                type="number"
                min={1}
                max={16}
                value={form.parallelWorkers}
                onChange={(e) => setForm({ ...form, parallelWorkers: Number(e.target.value) })}
              />
            )}
          </Field>
          <Field label="Retries" hint="0–5 extra attempts">
            {(id) => (
              <input
                id={id}
                type="number"
                min={0}
                max={5}
                value={form.retries}
                onChange={(e) => setForm({ ...form, retries: Number(e.target.value) })}
              />
            )}
          </Field>
        </div>
        <Field
          label="When a run of the same PR or branch is going"
          hint="for triggers that name no concurrency policy"
        >
          {(id) => (
            <select
              id={id}
              value={form.concurrencyPolicy}
              onChange={(e) =>
                setForm({
                  ...form,
                  concurrencyPolicy: e.target.value as Project['concurrencyPolicy'],
                })
              }
            >
              <option value="reject">refuse the new run (409)</option>
              <option value="queue">queue the new run behind it</option>
              <option value="supersede">cancel it and start the new run</option>
            </select>
          )}
        </Field>
        <label className="inline-check field">
          <input
            type="checkbox"
            checked={form.failOnFlaky}
            onChange={(e) => setForm({ ...form, failOnFlaky: e.target.checked })}
          />{' '}
          A flaky test fails the run
        </label>
        <label className="inline-check field">
          <input
            type="checkbox"
            checked={form.healing}
            onChange={(e) => setForm({ ...form, healing: e.target.checked })}
          />{' '}
          Heal locators that find nothing from recorded alternatives
        </label>
        <ErrorBox error={save.error} />
        {save.isSuccess ? (
          <p role="status" className="small">
            Saved.
          </p>
        ) : null}
        <button type="submit" className="primary" disabled={save.isPending}>
          Save
        </button>
      </fieldset>
    </form>
  );
}

function EnvironmentForm({
  projectId,
  env,
  onDone,
}: {
  projectId: string;
  env?: Environment;
  onDone: () => void;
}) {
  const [name, setName] = useState(env?.name ?? '');
  const [baseUrl, setBaseUrl] = useState(env?.baseUrl ?? '');
  const [vars, setVars] = useState(toLines(env?.variables ?? {}));
  // Secrets are write-only: existing ones come back as the mask, which keeps their value.
  const [secrets, setSecrets] = useState(toLines(env?.secrets ?? {}));
  const save = useMutation({
    mutationFn: () =>
      api(`/projects/${seg(projectId)}/environments/${seg(name)}`, {
        method: 'PUT',
        body: { baseUrl: baseUrl || null, variables: fromLines(vars), secrets: fromLines(secrets) },
      }),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: ['environments', projectId] });
      onDone();
    },
  });
  return (
    <form
      className="card"
      aria-label={env ? `Edit environment ${env.name}` : 'New environment'}
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate();
      }}
    >
      <TextInput
        label="Environment name"
        required
        disabled={!!env}
        value={name}
        onChange={setName}
      />
      <TextInput
        label="Base URL"
        hint="empty: the project's"
        type="url"
        value={baseUrl}
        onChange={setBaseUrl}
      />
      <Field label="Variables" hint="NAME=value, one a line">
        {(id) => (
          <textarea
            id={id}
            rows={3}
            className="mono"
            value={vars}
            onChange={(e) => setVars(e.target.value)}
          />
        )}
      </Field>
      <Field
        label="Secrets"
        hint={`NAME=value, one a line; never shown again (${MASK} keeps a value)`}
      >
        {(id) => (
          <textarea
            id={id}
            rows={3}
            className="mono"
            value={secrets}
            onChange={(e) => setSecrets(e.target.value)}
          />
        )}
      </Field>
      <ErrorBox error={save.error} />
      <div className="row">
        <button type="submit" className="primary" disabled={save.isPending}>
          Save environment
        </button>
        <button type="button" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function Environments({ projectId, editor }: { projectId: string; editor: boolean }) {
  const envs = useQuery({
    queryKey: ['environments', projectId],
    queryFn: () => api<{ items: Environment[] }>(`/projects/${seg(projectId)}/environments`),
  });
  const [editing, setEditing] = useState<string | null>(null);
  const remove = useMutation({
    mutationFn: (name: string) =>
      api(`/projects/${seg(projectId)}/environments/${seg(name)}`, { method: 'DELETE' }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['environments', projectId] }),
  });
  return (
    <section aria-labelledby="h-env">
      <h2 id="h-env">Environments</h2>
      <p className="muted small">
        Targets with their own base URL and {'{{variables}}'}; secret values are masked everywhere.
      </p>
      <ErrorBox error={envs.error ?? remove.error} />
      {envs.data?.items.length === 0 && editing === null ? (
        <p className="muted">No environments: runs use the project's base URL.</p>
      ) : null}
      <ul style={{ listStyle: 'none', padding: 0 }}>
        {envs.data?.items.map((e) =>
          editing === e.name ? (
            <li key={e.name}>
              <EnvironmentForm projectId={projectId} env={e} onDone={() => setEditing(null)} />
            </li>
          ) : (
            <li key={e.name} className="card row">
              <strong>{e.name}</strong>
              <span className="mono small">{e.baseUrl ?? '(project base URL)'}</span>
              <span className="small muted">
                {Object.keys(e.variables).length} variables, {Object.keys(e.secrets).length} secrets
              </span>
              <span className="spacer" />
              {editor ? (
                <>
                  <button
                    type="button"
                    onClick={() => setEditing(e.name)}
                    aria-label={`Edit ${e.name}`}
                  >
                    Edit
                  </button>
                  <button
                    type="button"
                    className="danger"
                    onClick={() => remove.mutate(e.name)}
                    aria-label={`Delete ${e.name}`}
                  >
                    Delete
                  </button>
                </>
              ) : null}
            </li>
          ),
        )}
      </ul>
      {editing === '' ? (
        <EnvironmentForm projectId={projectId} onDone={() => setEditing(null)} />
      ) : null}
      {editor && editing === null ? (
        <button type="button" onClick={() => setEditing('')}>
          Add environment
        </button>
      ) : null}
    </section>
  );
}

function Notifications({ projectId, editor }: { projectId: string; editor: boolean }) {
  const base = `/projects/${seg(projectId)}/notifications`;
  const list = useQuery({
    queryKey: ['notifications', projectId],
    queryFn: () => api<{ items: Channel[] }>(base),
  });
  const [type, setType] = useState('slack');
  const [name, setName] = useState('');
  const [target, setTarget] = useState('');
  const [events, setEvents] = useState<string[]>(['run.failed', 'run.recovered']);
  const create = useMutation({
    mutationFn: () => {
      const config =
        type === 'email'
          ? { to: target.split(/[,\s]+/).filter(Boolean) }
          : type === 'webhook'
            ? { url: target }
            : { webhookUrl: target };
      return api(base, { method: 'POST', body: { type, name, events, config } });
    },
    onSuccess: async () => {
      setName('');
      setTarget('');
      await queryClient.invalidateQueries({ queryKey: ['notifications', projectId] });
    },
  });
  const remove = useMutation({
    mutationFn: (id: string) => api(`${base}/${seg(id)}`, { method: 'DELETE' }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['notifications', projectId] }),
  });
  const all = ['run.failed', 'run.recovered', 'flaky.detected', 'run.finished'];
  return (
    <section aria-labelledby="h-notify">
      <h2 id="h-notify">Notifications</h2>
      <ErrorBox error={list.error ?? remove.error} />
      {list.data?.items.length === 0 ? (
        <p className="muted">No channels: nobody is told when a run ends.</p>
      ) : null}
      <ul style={{ listStyle: 'none', padding: 0 }}>
        {list.data?.items.map((c) => (
          <li key={c.id} className="card row">
            <strong>{c.name}</strong> <span className="badge">{c.type}</span>
            <span className="small muted">{c.events.join(', ')}</span>
            <span className="spacer" />
            {editor ? (
              <button
                type="button"
                className="danger"
                onClick={() => remove.mutate(c.id)}
                aria-label={`Delete channel ${c.name}`}
              >
                Delete
              </button>
            ) : null}
          </li>
        ))}
      </ul>
      {editor ? (
        <form
          className="card"
          aria-label="New notification channel"
          onSubmit={(e) => {
            e.preventDefault();
            create.mutate();
          }}
        >
          <div className="row">
            <Field label="Type">
              {(id) => (
                <select id={id} value={type} onChange={(e) => setType(e.target.value)}>
                  <option value="slack">Slack</option>
                  <option value="teams">Microsoft Teams</option>
                  <option value="webhook">Webhook</option>
                  <option value="email">E-mail</option>
                </select>
              )}
            </Field>
            <TextInput label="Channel name" required value={name} onChange={setName} />
          </div>
          <Field
            label={type === 'email' ? 'Recipients' : 'Webhook URL'}
            hint={type === 'email' ? 'comma-separated' : 'kept secret'}
          >
            {(id) => (
              <input id={id} required value={target} onChange={(e) => setTarget(e.target.value)} />
            )}
          </Field>
          <fieldset className="row" style={{ border: 0, padding: 0 }}>
            <legend className="small">Events</legend>
            {all.map((ev) => (
              <label key={ev} className="inline-check">
                <input
                  type="checkbox"
                  checked={events.includes(ev)}
                  onChange={(e) =>
                    setEvents(e.target.checked ? [...events, ev] : events.filter((x) => x !== ev))
                  }
                />{' '}
                {ev}
              </label>
            ))}
          </fieldset>
          <ErrorBox error={create.error} />
          <button type="submit" disabled={create.isPending}>
            Add channel
          </button>
        </form>
      ) : null}
    </section>
  );
}

function Schedules({ projectId, editor }: { projectId: string; editor: boolean }) {
  const base = `/projects/${seg(projectId)}/schedules`;
  const list = useQuery({
    queryKey: ['schedules', projectId],
    queryFn: () => api<{ items: Schedule[] }>(base),
  });
  const [name, setName] = useState('nightly');
  const [cron, setCron] = useState('0 2 * * *');
  const [timezone, setTimezone] = useState(
    Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC',
  );
  const done = () => queryClient.invalidateQueries({ queryKey: ['schedules', projectId] });
  const create = useMutation({
    mutationFn: () => api(base, { method: 'POST', body: { name, cron, timezone } }),
    onSuccess: done,
  });
  const toggle = useMutation({
    mutationFn: (s: Schedule) =>
      api(`${base}/${seg(s.id)}`, { method: 'PATCH', body: { enabled: !s.enabled } }),
    onSuccess: done,
  });
  const remove = useMutation({
    mutationFn: (id: string) => api(`${base}/${seg(id)}`, { method: 'DELETE' }),
    onSuccess: done,
  });
  return (
    <section aria-labelledby="h-sched">
      <h2 id="h-sched">Schedules</h2>
      <ErrorBox error={list.error ?? toggle.error ?? remove.error} />
      {list.data?.items.length === 0 ? (
        <p className="muted">No schedules: runs start only from CI, the CLI or this dashboard.</p>
      ) : null}
      <ul style={{ listStyle: 'none', padding: 0 }}>
        {list.data?.items.map((s) => (
          <li key={s.id} className="card row">
            <strong>{s.name}</strong> <code>{s.cron}</code>{' '}
            <span className="small">{s.timezone}</span>
            <span className="small muted">
              {s.enabled ? `next ${fmtTime(s.nextRunAt)}` : 'disabled'}
            </span>
            {s.lastError ? <span className="small s-failed">{s.lastError}</span> : null}
            <span className="spacer" />
            {editor ? (
              <>
                <button type="button" onClick={() => toggle.mutate(s)}>
                  {s.enabled ? 'Disable' : 'Enable'}
                </button>
                <button
                  type="button"
                  className="danger"
                  onClick={() => remove.mutate(s.id)}
                  aria-label={`Delete schedule ${s.name}`}
                >
                  Delete
                </button>
              </>
            ) : null}
          </li>
        ))}
      </ul>
      {editor ? (
        <form
          className="card row"
          aria-label="New schedule"
          onSubmit={(e) => {
            e.preventDefault();
            create.mutate();
          }}
        >
          <TextInput label="Schedule name" required value={name} onChange={setName} />
          <TextInput
            label="Cron"
            hint="minute hour day month weekday"
            required
            className="mono"
            value={cron}
            onChange={setCron}
          />
          <TextInput label="Time zone" required value={timezone} onChange={setTimezone} />
          <button type="submit" disabled={create.isPending}>
            Add schedule
          </button>
          <ErrorBox error={create.error} />
        </form>
      ) : null}
    </section>
  );
}

function CallbackSecret({ projectId, editor }: { projectId: string; editor: boolean }) {
  const base = `/projects/${seg(projectId)}/callback-secret`;
  const state = useQuery({
    queryKey: ['callback-secret', projectId],
    queryFn: () => api<{ exists: boolean; prefix: string | null; rotatedAt: string | null }>(base),
  });
  const rotate = useMutation({
    mutationFn: () => api<{ secret: string; prefix: string }>(`${base}/rotate`, { method: 'POST' }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['callback-secret', projectId] }),
  });
  return (
    <section aria-labelledby="h-secret">
      <h2 id="h-secret">Callback signing secret</h2>
      <p className="muted small">
        Callbacks and webhook notifications carry <code>X-Greenlight-Signature</code>, an HMAC with
        this secret.
      </p>
      <ErrorBox error={state.error ?? rotate.error} />
      <p>
        {state.data?.exists ? (
          <>
            Current secret starts with <code>{state.data.prefix}</code>.
          </>
        ) : (
          'No secret yet: one is made on first use.'
        )}
      </p>
      {rotate.data ? (
        <div className="row" role="status">
          <code className="secret" aria-label="New callback secret">
            {rotate.data.secret}
          </code>
          <CopyButton value={rotate.data.secret} label="Copy secret" />
          <span className="small">Shown only now.</span>
        </div>
      ) : null}
      {editor ? (
        <button type="button" onClick={() => rotate.mutate()} disabled={rotate.isPending}>
          {state.data?.exists ? 'Rotate secret' : 'Create secret'}
        </button>
      ) : null}
    </section>
  );
}

/** A project's settings: run defaults, environments, notifications, schedules, callback secret. */
export default function Settings() {
  usePageTitle('Settings');
  const { projectId } = useParams({ from: '/app/projects/$projectId/settings' });
  const project = useProject(projectId);
  const me = useMe();
  const navigate = useNavigate();
  const editor = canEdit(me.data);
  const remove = useMutation({
    mutationFn: () => api(`/projects/${seg(projectId)}`, { method: 'DELETE' }),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: ['projects'] });
      await navigate({ to: '/projects' });
    },
  });
  if (!project.data) return <ErrorBox error={project.error} />;
  return (
    <>
      <h1 tabIndex={-1}>Settings</h1>
      <General project={project.data} editor={editor} />
      <Environments projectId={projectId} editor={editor} />
      <Notifications projectId={projectId} editor={editor} />
      <Schedules projectId={projectId} editor={editor} />
      <CallbackSecret projectId={projectId} editor={editor} />
      <section aria-labelledby="h-ci">
        <h2 id="h-ci">Pull-request feedback</h2>
        <p className="small">
          Chosen by each trigger, because the forge token must never be stored:{' '}
          <code>git: {'{ repository, prNumber, commitSha, githubToken }'}</code> makes Greenlight
          post a commit status and one sticky PR comment linking to the run's page here (GitLab:{' '}
          <code>provider: gitlab</code> with <code>gitlabToken</code>). The snippets on{' '}
          <Link to="/projects/$projectId/automation" params={{ projectId }}>
            Automation
          </Link>{' '}
          include them.
        </p>
      </section>
      {me.data?.role === 'admin' ? (
        <section aria-labelledby="h-danger">
          <h2 id="h-danger">Delete the project</h2>
          <ErrorBox error={remove.error} />
          <ConfirmButton
            label="Delete project"
            question={`Delete ${project.data.name}? Its tokens stop working at once; the project waits in the recycle bin (Admin → Recycle bin).`}
            confirmLabel="Yes, delete the project"
            onConfirm={() => remove.mutate()}
          />
        </section>
      ) : null}
    </>
  );
}
