import { useMutation, useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api, seg } from '../api';
import { queryClient, useMe } from '../queries';
import {
  ConfirmButton,
  DataTable,
  Empty,
  ErrorBox,
  fmtTime,
  Loading,
  TextInput,
  usePageTitle,
} from '../ui/kit';

interface DeletedProject {
  id: string;
  slug: string;
  name: string;
  deletedAt: string;
  deletedBy: string | null;
  tests: number;
  runs: number;
  purgeAt: string;
}
interface DeletedTest {
  id: string;
  projectSlug: string;
  projectName: string;
  projectDeleted: boolean;
  name: string;
  deletedAt: string;
  deletedBy: string | null;
  purgeAt: string;
}
interface Bin {
  projects: DeletedProject[];
  tests: DeletedTest[];
  retentionDays: number;
}

const refresh = () =>
  Promise.all([
    queryClient.invalidateQueries({ queryKey: ['recycle-bin'] }),
    queryClient.invalidateQueries({ queryKey: ['projects'] }),
  ]);

/** Settings → Recycle bin: deleted projects and tests, restore or purge, and how long they stay. */
export default function AdminRecycleBin() {
  usePageTitle('Recycle bin');
  const me = useMe();
  const admin = me.data?.role === 'admin';
  const bin = useQuery({ queryKey: ['recycle-bin'], queryFn: () => api<Bin>('/recycle-bin') });
  const restore = useMutation({
    mutationFn: ({ kind, id }: { kind: 'project' | 'test'; id: string }) =>
      api(`/recycle-bin/${kind}/${seg(id)}/restore`, { method: 'POST' }),
    onSuccess: refresh,
  });
  const purge = useMutation({
    mutationFn: ({ kind, id }: { kind: 'project' | 'test'; id: string }) =>
      api(`/recycle-bin/${kind}/${seg(id)}/purge`, { method: 'DELETE' }),
    onSuccess: refresh,
  });
  const [days, setDays] = useState('');
  const retention = useMutation({
    mutationFn: () =>
      api('/settings/recycle-bin', { method: 'PUT', body: { retentionDays: Number(days) } }),
    onSuccess: async () => {
      setDays('');
      await refresh();
    },
  });
  return (
    <>
      <h1 tabIndex={-1}>Recycle bin</h1>
      {bin.data ? (
        <p className="muted">
          Deleted projects and tests stay here for {bin.data.retentionDays} days, then the cleanup
          deletes them for good. Restoring a project brings back its tests.
        </p>
      ) : null}
      {bin.isPending ? <Loading what="Opening the recycle bin" /> : null}
      <ErrorBox error={bin.error ?? restore.error ?? purge.error} />
      {restore.isSuccess ? <p role="status">Restored.</p> : null}
      {bin.data && bin.data.projects.length + bin.data.tests.length === 0 ? (
        <Empty title="The recycle bin is empty">
          <p>Projects and tests you delete land here first.</p>
        </Empty>
      ) : null}
      {bin.data && bin.data.projects.length > 0 ? (
        <>
          <h2>Projects</h2>
          <DataTable
            caption="Deleted projects"
            head={[
              'Project',
              'Holds',
              'Deleted',
              { label: 'Purged on', hideSm: true },
              { label: 'Actions', srOnly: true },
            ]}
          >
            {bin.data.projects.map((p) => (
              <tr key={p.id}>
                <td>
                  {p.name} <span className="muted small mono">{p.slug}</span>
                </td>
                <td className="small">
                  {p.tests} tests, {p.runs} runs
                </td>
                <td className="small">
                  {fmtTime(p.deletedAt)}
                  {p.deletedBy ? ` by ${p.deletedBy}` : ''}
                </td>
                <td className="small hide-sm">{fmtTime(p.purgeAt)}</td>
                <td className="row">
                  {admin ? (
                    <>
                      <button
                        type="button"
                        onClick={() => restore.mutate({ kind: 'project', id: p.id })}
                        aria-label={`Restore ${p.name}`}
                      >
                        Restore
                      </button>
                      <ConfirmButton
                        label={`Purge ${p.name}`}
                        question={`Delete ${p.name} with its tests, runs and artifacts for good?`}
                        confirmLabel="Yes, purge"
                        onConfirm={() => purge.mutate({ kind: 'project', id: p.id })}
                      />
                    </>
                  ) : null}
                </td>
              </tr>
            ))}
          </DataTable>
        </>
      ) : null}
      {bin.data && bin.data.tests.length > 0 ? (
        <>
          <h2>Tests</h2>
          <DataTable
            caption="Deleted tests"
            head={[
              'Test',
              'Project',
              'Deleted',
              { label: 'Purged on', hideSm: true },
              { label: 'Actions', srOnly: true },
            ]}
          >
            {bin.data.tests.map((t) => (
              <tr key={t.id}>
                <td>{t.name}</td>
                <td className="small">
                  {t.projectName}
                  {t.projectDeleted ? ' (deleted: restore it first)' : ''}
                </td>
                <td className="small">
                  {fmtTime(t.deletedAt)}
                  {t.deletedBy ? ` by ${t.deletedBy}` : ''}
                </td>
                <td className="small hide-sm">{fmtTime(t.purgeAt)}</td>
                <td className="row">
                  <button
                    type="button"
                    disabled={t.projectDeleted}
                    onClick={() => restore.mutate({ kind: 'test', id: t.id })}
                    aria-label={`Restore ${t.name}`}
                  >
                    Restore
                  </button>
                  {admin ? (
                    <ConfirmButton
                      label={`Purge ${t.name}`}
                      question={`Delete ${t.name} for good?`}
                      confirmLabel="Yes, purge"
                      onConfirm={() => purge.mutate({ kind: 'test', id: t.id })}
                    />
                  ) : null}
                </td>
              </tr>
            ))}
          </DataTable>
        </>
      ) : null}
      {admin ? (
        <form
          className="card"
          aria-labelledby="h-retention"
          onSubmit={(e: FormEvent) => {
            e.preventDefault();
            retention.mutate();
          }}
        >
          <h2 id="h-retention" style={{ marginTop: 0 }}>
            Keep deleted items
          </h2>
          <TextInput
            label="Days in the recycle bin"
            hint="1 to 3650"
            type="number"
            min={1}
            max={3650}
            required
            value={days}
            placeholder={bin.data ? String(bin.data.retentionDays) : ''}
            onChange={setDays}
          />
          <ErrorBox error={retention.error} />
          {retention.isSuccess ? <p role="status">Saved.</p> : null}
          <button type="submit" disabled={retention.isPending}>
            Save
          </button>
        </form>
      ) : null}
    </>
  );
}
