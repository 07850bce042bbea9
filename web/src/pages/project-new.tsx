import { useMutation } from '@tanstack/react-query';
import { useNavigate } from '@tanstack/react-router';
import { useState, type FormEvent } from 'react';
import { api } from '../api';
import { queryClient } from '../queries';
import type { Project } from '../types';
import { ErrorBox, Field, usePageTitle, TextInput } from '../ui/kit';

/** Create a project: a name and the base URL its tests run against. */
export default function ProjectNew() {
  usePageTitle('New project');
  const navigate = useNavigate();
  const [name, setName] = useState('');
  const [baseUrl, setBaseUrl] = useState('');
  const create = useMutation({
    mutationFn: () => api<Project>('/projects', { method: 'POST', body: { name, baseUrl } }),
    onSuccess: async (p) => {
      await queryClient.invalidateQueries({ queryKey: ['projects'] });
      await navigate({ to: '/projects/$projectId', params: { projectId: p.slug } });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  return (
    <div className="card" style={{ maxWidth: 560 }}>
      <h1 tabIndex={-1}>New project</h1>
      <form onSubmit={submit}>
        <TextInput label="Name" required value={name} onChange={setName} />
        <Field
          label="Base URL"
          hint="where the site under test runs, e.g. https://staging.example.com"
        >
          {(id) => (
            <input
              id={id}
              type="url"
              required
              value={baseUrl}
              onChange={(e) => setBaseUrl(e.target.value)}
            />
          )}
        </Field>
        <ErrorBox error={create.error} />
        <button className="primary" type="submit" disabled={create.isPending}>
          Create project
        </button>
      </form>
    </div>
  );
}
