import { useMutation, useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api, seg } from '../api';
import { queryClient, useMe } from '../queries';
import { CopyButton, ErrorBox, fmtTime, usePageTitle, DataTable, TextInput } from '../ui/kit';

interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
}

const SCOPES = ['runs:read', 'runs:trigger', 'runs:cancel', 'tests:write', 'admin'];

/** The signed-in user: who they are, their password, their personal API keys. */
export default function Account() {
  usePageTitle('Account');
  const me = useMe();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const password = useMutation({
    mutationFn: () =>
      api('/auth/password', {
        method: 'POST',
        body: { currentPassword: current, newPassword: next },
      }),
    onSuccess: () => {
      setCurrent('');
      setNext('');
    },
  });
  const keys = useQuery({
    queryKey: ['api-keys'],
    queryFn: () => api<{ items: ApiKey[] }>('/auth/api-keys'),
  });
  const [name, setName] = useState('script');
  const [scopes, setScopes] = useState<string[]>(['runs:read']);
  const create = useMutation({
    mutationFn: () =>
      api<ApiKey & { key: string }>('/auth/api-keys', { method: 'POST', body: { name, scopes } }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['api-keys'] }),
  });
  const revoke = useMutation({
    mutationFn: (id: string) => api(`/auth/api-keys/${seg(id)}`, { method: 'DELETE' }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['api-keys'] }),
  });
  return (
    <>
      <h1 tabIndex={-1}>Account</h1>
      {me.data ? (
        <dl className="kv card">
          <dt>Email</dt>
          <dd>{me.data.user.email}</dd>
          <dt>Name</dt>
          <dd>{me.data.user.name ?? '—'}</dd>
          <dt>Workspace</dt>
          <dd>{me.data.workspace.name}</dd>
          <dt>Role</dt>
          <dd>{me.data.role}</dd>
        </dl>
      ) : null}
      <form
        className="card"
        aria-labelledby="h-pw"
        onSubmit={(e: FormEvent) => {
          e.preventDefault();
          password.mutate();
        }}
      >
        <h2 id="h-pw" style={{ marginTop: 0 }}>
          Change password
        </h2>
        <TextInput
          label="Current password"
          type="password"
          autoComplete="current-password"
          required
          value={current}
          onChange={setCurrent}
        />
        <TextInput
          label="New password"
          hint="at least 8 characters; signs out your other sessions"
          type="password"
          autoComplete="new-password"
          required
          value={next}
          onChange={setNext}
        />
        <ErrorBox error={password.error} />
        {password.isSuccess ? <p role="status">Password changed.</p> : null}
        <button type="submit" disabled={password.isPending}>
          Change password
        </button>
      </form>
      <h2>Personal API keys</h2>
      <p className="muted small">
        For scripts: send as <code>Authorization: Bearer glk_…</code>. A key acts with your role,
        narrowed to its scopes.
      </p>
      <form
        className="card"
        aria-label="New API key"
        onSubmit={(e: FormEvent) => {
          e.preventDefault();
          create.mutate();
        }}
      >
        <TextInput label="Key name" required value={name} onChange={setName} />
        <fieldset className="row" style={{ border: 0, padding: 0 }}>
          <legend className="small">Scopes</legend>
          {SCOPES.map((s) => (
            <label key={s} className="inline-check">
              <input
                type="checkbox"
                checked={scopes.includes(s)}
                onChange={(e) =>
                  setScopes(e.target.checked ? [...scopes, s] : scopes.filter((x) => x !== s))
                }
              />{' '}
              {s}
            </label>
          ))}
        </fieldset>
        <ErrorBox error={create.error} />
        <button type="submit" className="primary" disabled={create.isPending}>
          Create key
        </button>
      </form>
      {create.data ? (
        <div className="card row" role="status">
          <strong>Copy the key now: it is shown only once.</strong>
          <code className="secret" aria-label="New API key">
            {create.data.key}
          </code>
          <CopyButton value={create.data.key} label="Copy key" />
        </div>
      ) : null}
      <ErrorBox error={keys.error ?? revoke.error} />
      {keys.data && keys.data.items.length === 0 ? <p className="muted">No API keys.</p> : null}
      {keys.data && keys.data.items.length > 0 ? (
        <DataTable
          caption="API keys"
          head={['Name', 'Starts with', 'Scopes', 'Last used', { label: 'Actions', srOnly: true }]}
        >
          {keys.data.items.map((k) => (
            <tr key={k.id}>
              <td>{k.name}</td>
              <td className="mono">{k.prefix}…</td>
              <td className="small">{k.scopes.join(', ')}</td>
              <td className="small">{k.lastUsedAt ? fmtTime(k.lastUsedAt) : 'never'}</td>
              <td>
                <button
                  type="button"
                  className="danger"
                  onClick={() => revoke.mutate(k.id)}
                  aria-label={`Revoke key ${k.name}`}
                >
                  Revoke
                </button>
              </td>
            </tr>
          ))}
        </DataTable>
      ) : null}
    </>
  );
}
