import { useMutation } from '@tanstack/react-query';
import { Link, useNavigate, useSearch } from '@tanstack/react-router';
import { useState, type FormEvent } from 'react';
import { api } from '../api';
import { meQuery, queryClient } from '../queries';
import { ErrorBox, usePageTitle, TextInput } from '../ui/kit';

/** Sign in with e-mail and password; the server sets the session and CSRF cookies. */
export default function SignIn() {
  usePageTitle('Sign in');
  const { next } = useSearch({ from: '/sign-in' });
  const navigate = useNavigate();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const signIn = useMutation({
    mutationFn: () => api('/auth/login', { method: 'POST', body: { email, password } }),
    onSuccess: async () => {
      // The cached "nobody" must go before the signed-in pages check who is there.
      await queryClient.fetchQuery({ ...meQuery, staleTime: 0 });
      // Only paths of this app: never an open redirect.
      const to = next && next.startsWith('/') && !next.startsWith('//') ? next : '/projects';
      await navigate({ href: to });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    signIn.mutate();
  };
  return (
    <main id="main" style={{ maxWidth: 420, marginTop: '10vh' }}>
      <div className="card">
        <h1>Sign in to Greenlight</h1>
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
          <ErrorBox error={signIn.error} />
          <button className="primary" type="submit" disabled={signIn.isPending}>
            {signIn.isPending ? 'Signing in…' : 'Sign in'}
          </button>
        </form>
        <p className="small">
          No account yet? <Link to="/register">Create one</Link> (the first account of a new
          Greenlight is its admin), or ask an admin to add you.
        </p>
      </div>
    </main>
  );
}
