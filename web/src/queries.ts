import {
  MutationCache,
  QueryCache,
  QueryClient,
  queryOptions,
  useQuery,
} from '@tanstack/react-query';
import { api, ApiError, seg } from './api';
import type { Me, Project } from './types';

/** A session that ended (expired, signed out elsewhere) sends the user to sign in again. */
function onError(e: unknown): void {
  if (
    e instanceof ApiError &&
    e.status === 401 &&
    !window.location.pathname.startsWith('/sign-in')
  ) {
    const next = window.location.pathname + window.location.search;
    window.location.assign(`/sign-in?next=${encodeURIComponent(next)}`);
  }
}

export const queryClient = new QueryClient({
  queryCache: new QueryCache({ onError }),
  mutationCache: new MutationCache({ onError }),
  defaultOptions: {
    queries: {
      staleTime: 5_000,
      // An answer the server gave (4xx) will not change by asking again.
      retry: (count, e) =>
        !(e instanceof ApiError && e.status >= 400 && e.status < 500) && count < 2,
    },
  },
});

export const meQuery = queryOptions({
  queryKey: ['me'],
  queryFn: async (): Promise<Me | null> => {
    try {
      return await api<Me>('/auth/me');
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) return null;
      throw e;
    }
  },
  staleTime: 60_000,
});

export const projectQuery = (id: string) =>
  queryOptions({ queryKey: ['project', id], queryFn: () => api<Project>(`/projects/${seg(id)}`) });

export const useMe = () => useQuery(meQuery);
export const useProject = (id: string) => useQuery(projectQuery(id));

/** Editors and admins may change things; viewers only read. */
export const canEdit = (me: Me | null | undefined): boolean =>
  me?.role === 'editor' || me?.role === 'admin';
