import { useMutation, useQuery } from '@tanstack/react-query';
import { Link, useNavigate, useSearch } from '@tanstack/react-router';
import { useState, type FormEvent } from 'react';
import { api, ApiError } from '../api';
import { meQuery, queryClient } from '../queries';
import { ErrorBox, usePageTitle, TextInput } from '../ui/kit';

interface Providers {
  providers: { id: string; name: string; kind: 'oidc' | 'github'; startUrl: string }[];
  emailVerificationRequired: boolean;
}

/** Fixed texts for `?sso_error=`: nothing from the link itself is shown. */
const ssoErrors: Record<string, string> = {
  cancelled: 'Sign-in was cancelled at the provider.',
  expired: 'That sign-in link expired or was already used. Start again.',
  email_not_verified: 'The provider did not confirm an e-mail address for your account.',
  domain_not_allowed: 'Your e-mail domain is not allowed to sign in here.',
  no_account: 'No Greenlight account uses this e-mail address. Ask an admin to add you.',
  provider_error: 'The sign-in provider could not be reached or gave an answer we refused.',
};

/** Only paths of this app: never an open redirect. */
const safeNext = (next?: string): string =>
  next && next.startsWith('/') && !next.startsWith('//') ? next : '/projects';

/**
 * Sign in with e-mail and password, or through a configured provider (a button each); the
 * server sets the session and CSRF cookies either way.
 */
export default function SignIn() {
  usePageTitle('Sign in');
  const { next, sso_error: ssoError } = useSearch({ from: '/sign-in' });
  const navigate = useNavigate();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const providers = useQuery({
    queryKey: ['auth-providers'],
    queryFn: () => api<Providers>('/auth/providers'),
    staleTime: 60_000,
  });
  const signIn = useMutation({
    mutationFn: () => api('/auth/login', { method: 'POST', body: { email, password } }),
    onSuccess: async () => {
      // The cached "nobody" must go before the signed-in pages check who is there.
      await queryClient.fetchQuery({ ...meQuery, staleTime: 0 });
      await navigate({ href: safeNext(next) });
    },
  });
  const resend = useMutation({
    mutationFn: () =>
      api<{ message: string }>('/auth/resend-verification', { method: 'POST', body: { email } }),
  });
  const unverified = signIn.error instanceof ApiError && signIn.error.code === 'email_not_verified';
  const submit = (e: FormEvent) => {
    e.preventDefault();
    resend.reset();
    signIn.mutate();
  };
  const list = providers.data?.providers ?? [];
  return (
    <main id="main" style={{ maxWidth: 420, marginTop: '10vh' }}>
      <div className="card">
        <h1>Sign in to Greenlight</h1>
        {ssoError && (
          <div role="alert" className="alert">
            {ssoErrors[ssoError] ?? ssoErrors.provider_error}
          </div>
        )}
        {list.length > 0 && (
          <div className="stack" style={{ marginBottom: 16 }}>
            {list.map((p) => (
              <a
                key={p.id}
                className="button"
                href={`${p.startUrl}?next=${encodeURIComponent(safeNext(next))}`}
              >
                Sign in with {p.name}
              </a>
            ))}
            <p className="muted small">or with your e-mail and password:</p>
          </div>
        )}
        <form onSubmit={submit} noValidate={false}>
          <TextInput
            label="Email"
            type="email"
            autoComplete="username"
            required
            value={email}
            onChange={setEmail}
          />
          <TextInput
            label="Password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={setPassword}
          />
          {unverified ? (
            <div role="alert" className="alert">
              Confirm your e-mail address first: open the link we mailed to {email}.{' '}
              <button
                type="button"
                onClick={() => resend.mutate()}
                disabled={resend.isPending || resend.isSuccess}
              >
                Send the link again
              </button>
            </div>
          ) : (
            <ErrorBox error={signIn.error} />
          )}
          {resend.isSuccess && <p role="status">{resend.data.message}</p>}
          <ErrorBox error={resend.error} />
          <button className="primary" type="submit" disabled={signIn.isPending}>
            {signIn.isPending ? 'Signing in…' : 'Sign in'}
          </button>
        </form>
        {providers.data?.emailVerificationRequired && (
          <p className="muted small">
            New accounts confirm their e-mail address before signing in.
          </p>
        )}
        <p className="small">
          No account yet? <Link to="/register">Create one</Link> (the first account of a new
          Greenlight is its admin), or ask an admin to add you.
        </p>
      </div>
    </main>
  );
}
