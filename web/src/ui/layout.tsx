import { useMutation, useQuery } from '@tanstack/react-query';
import { Link, Outlet, useNavigate, useParams, useRouterState } from '@tanstack/react-router';
import { useEffect, useRef, useState } from 'react';
import { api, seg } from '../api';
import { queryClient, useMe, useProject } from '../queries';
import { applyTheme, currentTheme, type Theme } from '../theme';
import { ErrorBox, Loading } from './kit';

function ThemeToggle() {
  const [theme, setTheme] = useState<Theme>(currentTheme());
  const next: Theme = theme === 'dark' ? 'light' : 'dark';
  return (
    <button
      type="button"
      onClick={() => {
        applyTheme(next, true);
        setTheme(next);
      }}
      aria-label={`Switch to ${next} theme`}
    >
      {theme === 'dark' ? 'Light' : 'Dark'}
    </button>
  );
}

/** Move focus to the main heading after each navigation, so screen readers hear the new page. */
function useFocusOnNavigate() {
  const path = useRouterState({ select: (s) => s.location.pathname });
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    const t = setTimeout(() => document.querySelector<HTMLElement>('main h1')?.focus(), 50);
    return () => clearTimeout(t);
  }, [path]);
}

/** The signed-in frame: top bar (projects, account, theme, sign out) and the page. */
export function AppLayout() {
  const me = useMe();
  const navigate = useNavigate();
  useFocusOnNavigate();
  const signOut = useMutation({
    mutationFn: () => api('/auth/logout', { method: 'POST' }),
    onSuccess: async () => {
      queryClient.clear();
      await navigate({ to: '/sign-in', search: { next: undefined } });
    },
  });
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link to="/projects" className="brand">
          Greenlight
        </Link>
        <nav aria-label="Main">
          <Link to="/projects" activeProps={{ className: 'active' }}>
            Projects
          </Link>
          <Link to="/account" activeProps={{ className: 'active' }}>
            Account
          </Link>
          {me.data?.role === 'admin' ? (
            <Link to="/admin/system" activeProps={{ className: 'active' }}>
              Admin
            </Link>
          ) : null}
          <a href="/docs">API docs</a>
        </nav>
        <span className="spacer" />
        {me.data ? (
          <span className="muted small">
            {me.data.user.email} · {me.data.role}
          </span>
        ) : null}
        <ThemeToggle />
        <button type="button" onClick={() => signOut.mutate()} disabled={signOut.isPending}>
          Sign out
        </button>
      </header>
      <main id="main">
        <ErrorBox error={signOut.error} />
        <Outlet />
      </main>
    </>
  );
}

const tabs = [
  ['Overview', '/projects/$projectId'],
  ['Tests', '/projects/$projectId/tests'],
  ['Review', '/projects/$projectId/review'],
  ['Crawl', '/projects/$projectId/crawl'],
  ['Runs', '/projects/$projectId/runs'],
  ['Trends', '/projects/$projectId/trends'],
  ['Automation', '/projects/$projectId/automation'],
  ['Settings', '/projects/$projectId/settings'],
] as const;

/** A project's frame: its name and the tabs of its pages. */
export function ProjectLayout() {
  const { projectId } = useParams({ strict: false }) as { projectId: string };
  const project = useProject(projectId);
  const counts = useQuery({
    queryKey: ['tests', projectId, 'counts'],
    queryFn: () =>
      api<{ draft: number; approved: number; rejected: number; total: number }>(
        `/projects/${seg(projectId)}/tests/counts`,
      ),
  });
  if (project.isPending) return <Loading what="Loading the project" />;
  if (project.error) return <ErrorBox error={project.error} />;
  return (
    <>
      <p className="muted small" style={{ margin: '0 0 0.25rem' }}>
        <Link to="/projects">Projects</Link> › {project.data.name}
      </p>
      <nav aria-label="Project">
        <ul className="tabs">
          {tabs.map(([label, to]) => (
            <li key={to}>
              <Link
                to={to}
                params={{ projectId }}
                activeOptions={{ exact: to === '/projects/$projectId', includeSearch: false }}
                activeProps={{ className: 'active', 'aria-current': 'page' }}
              >
                {label}
                {label === 'Review' && counts.data && counts.data.draft > 0
                  ? ` (${counts.data.draft})`
                  : ''}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <Outlet />
    </>
  );
}
