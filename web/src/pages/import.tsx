import { useMutation } from '@tanstack/react-query';
import { Link, useParams } from '@tanstack/react-router';
import { useState, type FormEvent } from 'react';
import { api, seg } from '../api';
import { queryClient } from '../queries';
import { ErrorBox, Field, usePageTitle } from '../ui/kit';

interface Summary {
  files: number;
  created: number;
  updated: number;
}

/** Import YAML/JSON test files: chosen from disk or pasted; all are validated before any is stored. */
export default function Import() {
  usePageTitle('Import tests');
  const { projectId } = useParams({ from: '/app/projects/$projectId/import' });
  const [files, setFiles] = useState<FileList | null>(null);
  const [text, setText] = useState('');
  const [status, setStatus] = useState<'draft' | 'approved'>('draft');
  const run = useMutation({
    mutationFn: async () => {
      const list: { name: string; content: string }[] = [];
      for (const f of Array.from(files ?? [])) list.push({ name: f.name, content: await f.text() });
      if (text.trim()) list.push({ name: 'pasted.yaml', content: text });
      if (list.length === 0) throw new Error('Choose a file or paste a test first.');
      return api<Summary>(`/projects/${seg(projectId)}/tests/import`, {
        method: 'POST',
        body: { files: list, status },
      });
    },
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['tests', projectId] }),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    run.mutate();
  };
  return (
    <>
      <h1 tabIndex={-1}>Import tests</h1>
      <p className="muted">
        Test files in Greenlight's YAML or JSON step language. Tests with a <code>key</code> are
        updated in place when imported again.
      </p>
      <form className="card" onSubmit={submit}>
        <Field label="Test files" hint=".yaml, .yml or .json">
          {(id) => (
            <input
              id={id}
              type="file"
              multiple
              accept=".yaml,.yml,.json"
              onChange={(e) => setFiles(e.target.files)}
            />
          )}
        </Field>
        <Field label="Or paste YAML">
          {(id) => (
            <textarea
              id={id}
              rows={12}
              className="mono"
              value={text}
              onChange={(e) => setText(e.target.value)}
            />
          )}
        </Field>
        <Field label="Status of tests that name none">
          {(id) => (
            <select
              id={id}
              value={status}
              onChange={(e) => setStatus(e.target.value as 'draft' | 'approved')}
            >
              <option value="draft">draft (review first)</option>
              <option value="approved">approved</option>
            </select>
          )}
        </Field>
        <ErrorBox error={run.error} />
        <button type="submit" className="primary" disabled={run.isPending}>
          Import
        </button>
      </form>
      {run.data ? (
        <p role="status" className="note">
          Imported {run.data.files} {run.data.files === 1 ? 'file' : 'files'}: {run.data.created}{' '}
          created, {run.data.updated} updated.{' '}
          <Link to="/projects/$projectId/review" params={{ projectId }}>
            Review the drafts
          </Link>{' '}
          or{' '}
          <Link to="/projects/$projectId/tests" params={{ projectId }}>
            see all tests
          </Link>
          .
        </p>
      ) : null}
    </>
  );
}
