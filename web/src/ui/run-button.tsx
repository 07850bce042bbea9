import { useMutation, useQuery } from '@tanstack/react-query';
import { useNavigate } from '@tanstack/react-router';
import { useState } from 'react';
import { api, seg } from '../api';
import { canEdit, queryClient, useMe } from '../queries';
import type { Run } from '../types';
import { ErrorBox } from './kit';

/** Start a run (all approved tests, or the given ones) and open its live page. */
export function RunButton({
  projectId,
  testIds,
  label = 'Run tests',
  disabled,
}: {
  projectId: string;
  testIds?: string[];
  label?: string;
  disabled?: boolean;
}) {
  const me = useMe();
  const navigate = useNavigate();
  const envs = useQuery({
    queryKey: ['environments', projectId],
    queryFn: () => api<{ items: { name: string }[] }>(`/projects/${seg(projectId)}/environments`),
  });
  const names = (envs.data?.items ?? []).map((e) => e.name);
  const [picked, setPicked] = useState<string | null>(null);
  // A person who starts a run from here is the one who will open its traces.
  const [trace, setTrace] = useState(true);
  // The project's `default` environment unless another is picked: its variables and secrets.
  const environment = picked ?? (names.includes('default') ? 'default' : (names[0] ?? ''));
  const start = useMutation({
    mutationFn: () =>
      api<Run>(`/projects/${seg(projectId)}/runs`, {
        method: 'POST',
        body: { ...(testIds ? { testIds } : {}), ...(environment ? { environment } : {}), trace },
      }),
    onSuccess: async (run) => {
      await queryClient.invalidateQueries({ queryKey: ['runs', projectId] });
      await navigate({
        to: '/projects/$projectId/runs/$runId',
        params: { projectId, runId: run.id },
      });
    },
  });
  if (!canEdit(me.data)) return null;
  return (
    <span className="row">
      {names.length > 1 ? (
        <select
          aria-label="Environment"
          value={environment}
          onChange={(e) => setPicked(e.target.value)}
        >
          {names.map((n) => (
            <option key={n}>{n}</option>
          ))}
        </select>
      ) : null}
      <label className="inline-check small">
        <input type="checkbox" checked={trace} onChange={(e) => setTrace(e.target.checked)} />{' '}
        Record traces
      </label>
      <button
        type="button"
        className="primary"
        disabled={disabled || start.isPending}
        onClick={() => start.mutate()}
      >
        {start.isPending ? 'Starting…' : label}
      </button>
      <ErrorBox error={start.error} />
    </span>
  );
}
