import { useMutation, useQuery } from '@tanstack/react-query';
import { Link, useNavigate, useParams } from '@tanstack/react-router';
import { lazy, Suspense, useEffect, useState } from 'react';
import { parse } from 'yaml';
import { api, seg } from '../api';
import { queryClient } from '../queries';
import type { Test } from '../types';
import { ErrorBox, Loading, usePageTitle } from '../ui/kit';
import { toYaml } from '../ui/yaml';

const YamlEditor = lazy(() =>
  import('../editor/yaml-editor').then((m) => ({ default: m.YamlEditor })),
);

const TEMPLATE = `name: A new test
tags: [smoke]
steps:
  - goto: /
  - expect:
      visible: { role: heading }
`;

/** The document fields a test is written with (what the editor shows and saves). */
function documentOf(t: Test): Record<string, unknown> {
  const doc: Record<string, unknown> = { name: t.name };
  if (t.key) doc.key = t.key;
  if (t.description) doc.description = t.description;
  if (t.suite) doc.suite = t.suite;
  if (t.tags.length) doc.tags = t.tags;
  if (t.timeout !== null) doc.timeout = t.timeout;
  if (t.stepTimeout !== null) doc.stepTimeout = t.stepTimeout;
  if (Object.keys(t.variables).length) doc.variables = t.variables;
  if (t.data) doc.data = t.data;
  if (t.covers.length) doc.covers = t.covers;
  doc.steps = t.steps;
  return doc;
}

/** Write or edit a test in the YAML step language, checked against the served JSON Schema. */
export default function TestEditor() {
  const { projectId, testId } = useParams({ strict: false }) as {
    projectId: string;
    testId?: string;
  };
  usePageTitle(testId ? 'Edit test' : 'New test');
  const navigate = useNavigate();
  const schema = useQuery({
    queryKey: ['schema', 'test'],
    queryFn: () => api<object>('/schemas/test.json'),
    staleTime: Infinity,
  });
  const test = useQuery({
    queryKey: ['test', projectId, testId],
    queryFn: () => api<Test>(`/projects/${seg(projectId)}/tests/${seg(testId!)}`),
    enabled: !!testId,
  });
  const [text, setText] = useState<string | null>(testId ? null : TEMPLATE);
  useEffect(() => {
    if (test.data && text === null) setText(toYaml(documentOf(test.data)));
  }, [test.data, text]);
  const save = useMutation({
    mutationFn: async () => {
      let doc: unknown;
      try {
        doc = parse(text ?? '');
      } catch (e) {
        throw new Error(`The YAML does not parse: ${(e as Error).message}`, { cause: e });
      }
      if (!doc || typeof doc !== 'object' || Array.isArray(doc))
        throw new Error('A test is a YAML mapping with name and steps.');
      return testId
        ? api<Test>(`/projects/${seg(projectId)}/tests/${seg(testId)}`, {
            method: 'PATCH',
            body: doc,
          })
        : api<Test>(`/projects/${seg(projectId)}/tests`, { method: 'POST', body: doc });
    },
    onSuccess: async (t) => {
      await queryClient.invalidateQueries({ queryKey: ['tests', projectId] });
      await queryClient.invalidateQueries({ queryKey: ['test', projectId, t.id] });
      await navigate({
        to: '/projects/$projectId/tests/$testId',
        params: { projectId, testId: t.id },
        search: {},
      });
    },
  });
  return (
    <>
      <h1 tabIndex={-1}>{testId ? `Edit “${test.data?.name ?? ''}”` : 'New test'}</h1>
      <p className="muted small">
        Completion as you type (Ctrl-Space); problems are underlined and listed in the gutter. The
        language is described in the README and at{' '}
        <a href="/api/v1/schemas/test.json">/api/v1/schemas/test.json</a>.
        {test.data?.status === 'approved'
          ? ' Changing the steps of an approved test sends it back to review.'
          : ''}
      </p>
      <ErrorBox error={schema.error ?? test.error} />
      {text === null || !schema.data ? (
        <Loading what="Loading the editor" />
      ) : (
        <Suspense fallback={<Loading what="Loading the editor" />}>
          <YamlEditor
            value={text}
            onChange={setText}
            schema={schema.data}
            label="Test document (YAML)"
          />
        </Suspense>
      )}
      <ErrorBox error={save.error} />
      <div className="row" style={{ marginTop: '0.75rem' }}>
        <button
          type="button"
          className="primary"
          disabled={save.isPending || text === null}
          onClick={() => save.mutate()}
        >
          {testId ? 'Save' : 'Create test'}
        </button>
        {testId ? (
          <Link to="/projects/$projectId/tests/$testId" params={{ projectId, testId }} search={{}}>
            Cancel
          </Link>
        ) : (
          <Link to="/projects/$projectId/tests" params={{ projectId }} search={{}}>
            Cancel
          </Link>
        )}
      </div>
    </>
  );
}
