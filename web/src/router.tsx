import {
  createRootRoute,
  createRoute,
  createRouter,
  lazyRouteComponent,
  Link,
  Outlet,
  redirect,
} from '@tanstack/react-router';
import { meQuery, queryClient } from './queries';
import { AdminLayout } from './ui/admin-layout';
import { AppLayout, ProjectLayout } from './ui/layout';

// Every view has its own URL (deep links), and every page but the frame loads lazily: the first
// load carries React, the router, TanStack Query and the frame; CodeMirror and uPlot come only
// with the editor and the trends page.

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const bool = (v: unknown): boolean | undefined =>
  v === true || v === 'true' ? true : v === false || v === 'false' ? false : undefined;

const rootRoute = createRootRoute({
  component: Outlet,
  notFoundComponent: () => (
    <main id="main">
      <h1>Page not found</h1>
      <p>
        There is no page at this address. <Link to="/projects">Go to your projects</Link>.
      </p>
    </main>
  ),
});

const signInRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/sign-in',
  validateSearch: (s: Record<string, unknown>): { next?: string; sso_error?: string } => ({
    next: str(s.next),
    sso_error: str(s.sso_error),
  }),
  component: lazyRouteComponent(() => import('./pages/sign-in')),
});

const verifyEmailRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/verify-email',
  validateSearch: (s: Record<string, unknown>): { token?: string } => ({ token: str(s.token) }),
  component: lazyRouteComponent(() => import('./pages/verify-email')),
});

const registerRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/register',
  component: lazyRouteComponent(() => import('./pages/register')),
});

const appRoute = createRoute({
  getParentRoute: () => rootRoute,
  id: 'app',
  beforeLoad: async ({ location }) => {
    const me = await queryClient.ensureQueryData(meQuery);
    if (!me) throw redirect({ to: '/sign-in', search: { next: location.href } });
  },
  component: AppLayout,
});

const indexRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/',
  beforeLoad: () => {
    throw redirect({ to: '/projects' });
  },
});

const accountRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/account',
  component: lazyRouteComponent(() => import('./pages/account')),
});

const adminRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/admin',
  component: AdminLayout,
});

const adminIndexRoute = createRoute({
  getParentRoute: () => adminRoute,
  path: '/',
  beforeLoad: () => {
    throw redirect({ to: '/admin/system' });
  },
});

const adminSystemRoute = createRoute({
  getParentRoute: () => adminRoute,
  path: 'system',
  component: lazyRouteComponent(() => import('./pages/admin-system')),
});

const adminRecycleBinRoute = createRoute({
  getParentRoute: () => adminRoute,
  path: 'recycle-bin',
  component: lazyRouteComponent(() => import('./pages/admin-recycle-bin')),
});

const adminAiRoute = createRoute({
  getParentRoute: () => adminRoute,
  path: 'ai',
  component: lazyRouteComponent(() => import('./pages/admin-ai')),
});

const projectsRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/projects',
  component: lazyRouteComponent(() => import('./pages/projects')),
});

const projectNewRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/projects/new',
  component: lazyRouteComponent(() => import('./pages/project-new')),
});

const projectRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/projects/$projectId',
  component: ProjectLayout,
});

const overviewRoute = createRoute({
  getParentRoute: () => projectRoute,
  path: '/',
  component: lazyRouteComponent(() => import('./pages/overview')),
});

export interface TestFilters {
  status?: string;
  tag?: string;
  suite?: string;
  q?: string;
  flaky?: boolean;
  stale?: boolean;
  quarantined?: boolean;
}

const testsRoute = createRoute({
  getParentRoute: () => projectRoute,
  path: 'tests',
  validateSearch: (s: Record<string, unknown>): TestFilters => ({
    status: str(s.status),
    tag: str(s.tag),
    suite: str(s.suite),
    q: str(s.q),
    flaky: bool(s.flaky),
    stale: bool(s.stale),
    quarantined: bool(s.quarantined),
  }),
  component: lazyRouteComponent(() => import('./pages/tests')),
});

const testNewRoute = createRoute({
  getParentRoute: () => projectRoute,
  path: 'tests/new',
  component: lazyRouteComponent(() => import('./pages/test-editor')),
});

const testRoute = createRoute({
  getParentRoute: () => projectRoute,
  path: 'tests/$testId',
  validateSearch: (s: Record<string, unknown>): { from?: number; to?: number } => ({
    from: typeof s.from === 'number' ? s.from : undefined,
    to: typeof s.to === 'number' ? s.to : undefined,
  }),
  component: lazyRouteComponent(() => import('./pages/test-detail')),
});

const testEditRoute = createRoute({
  getParentRoute: () => projectRoute,
  path: 'tests/$testId/edit',
  component: lazyRouteComponent(() => import('./pages/test-editor')),
});

const importRoute = createRoute({
  getParentRoute: () => projectRoute,
  path: 'import',
  component: lazyRouteComponent(() => import('./pages/import')),
});

const reviewRoute = createRoute({
  getParentRoute: () => projectRoute,
  path: 'review',
  validateSearch: (s: Record<string, unknown>): { stale?: boolean; tag?: string } => ({
    stale: bool(s.stale),
    tag: str(s.tag),
  }),
  component: lazyRouteComponent(() => import('./pages/review')),
});

const crawlRoute = createRoute({
  getParentRoute: () => projectRoute,
  path: 'crawl',
  component: lazyRouteComponent(() => import('./pages/crawl')),
});

const crawlDetailRoute = createRoute({
  getParentRoute: () => projectRoute,
  path: 'crawls/$crawlId',
  component: lazyRouteComponent(() => import('./pages/crawl-detail')),
});

const runsRoute = createRoute({
  getParentRoute: () => projectRoute,
  path: 'runs',
  validateSearch: (s: Record<string, unknown>): { status?: string; page?: number } => ({
    status: str(s.status),
    page: typeof s.page === 'number' ? s.page : undefined,
  }),
  component: lazyRouteComponent(() => import('./pages/runs')),
});

const runRoute = createRoute({
  getParentRoute: () => projectRoute,
  path: 'runs/$runId',
  validateSearch: (s: Record<string, unknown>): { test?: string } => ({ test: str(s.test) }),
  component: lazyRouteComponent(() => import('./pages/run')),
});

const trendsRoute = createRoute({
  getParentRoute: () => projectRoute,
  path: 'trends',
  component: lazyRouteComponent(() => import('./pages/trends')),
});

const automationRoute = createRoute({
  getParentRoute: () => projectRoute,
  path: 'automation',
  component: lazyRouteComponent(() => import('./pages/automation')),
});

const settingsRoute = createRoute({
  getParentRoute: () => projectRoute,
  path: 'settings',
  component: lazyRouteComponent(() => import('./pages/settings')),
});

const routeTree = rootRoute.addChildren([
  signInRoute,
  registerRoute,
  verifyEmailRoute,
  appRoute.addChildren([
    indexRoute,
    accountRoute,
    adminRoute.addChildren([adminIndexRoute, adminSystemRoute, adminRecycleBinRoute, adminAiRoute]),
    projectsRoute,
    projectNewRoute,
    projectRoute.addChildren([
      overviewRoute,
      testsRoute,
      testNewRoute,
      testRoute,
      testEditRoute,
      importRoute,
      reviewRoute,
      crawlRoute,
      crawlDetailRoute,
      runsRoute,
      runRoute,
      trendsRoute,
      automationRoute,
      settingsRoute,
    ]),
  ]),
]);

export const router = createRouter({
  routeTree,
  defaultPreload: 'intent',
  scrollRestoration: true,
  defaultErrorComponent: ({ error }) => (
    <div role="alert" className="alert">
      This page failed: {error instanceof Error ? error.message : String(error)}. Reload, or go back
      to <Link to="/projects">your projects</Link>.
    </div>
  ),
});

declare module '@tanstack/react-router' {
  interface Register {
    router: typeof router;
  }
}
