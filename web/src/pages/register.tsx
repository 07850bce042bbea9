import { useMutation } from '@tanstack/react-query';
import { Link, useNavigate } from '@tanstack/react-router';
import { useState, type FormEvent } from 'react';
import { api } from '../api';
import { meQuery, queryClient } from '../queries';
import { ErrorBox, usePageTitle, TextInput } from '../ui/kit';

/**
 * Create an account: the first one on a new install (it becomes the admin), or any when the
 * server allows open registration; otherwise the server's refusal is shown in words.
 */
export default function Register() {
  usePageTitle('Create an account');
  const navigate = useNavigate();
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [pending, setPending] = useState<string | null>(null);
  const register = useMutation({
    mutationFn: () =>
      api<{ verificationRequired?: boolean; message?: string }>('/auth/register', {
        method: 'POST',
        body: { email, password, ...(name ? { name } : {}) },
      }),
    onSuccess: async (answer) => {
      // With verification on, no session yet: the mail's link comes first.
      if (answer.verificationRequired) {
        setPending(answer.message ?? 'Check your mail for a confirmation link.');
        return;
      }
      await queryClient.fetchQuery({ ...meQuery, staleTime: 0 });
      await navigate({ to: '/projects' });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    register.mutate();
  };
  return (
    <main id="main" style={{ maxWidth: 420, marginTop: '10vh' }}>
      <div className="card">
        <h1>Create an account</h1>
        <p className="muted small">
          The first account of a new Greenlight becomes its admin. After that, an admin adds people.
        </p>
        {pending && (
          <p role="status" className="alert">
            {pending}
          </p>
        )}
        <form onSubmit={submit} hidden={pending !== null}>
          <TextInput
            label="Email"
            type="email"
            autoComplete="username"
            required
            value={email}
            onChange={setEmail}
          />
          <TextInput
            label="Name"
            hint="optional"
            autoComplete="name"
            value={name}
            onChange={setName}
          />
          <TextInput
            label="Password"
            hint="at least 8 characters"
            type="password"
            autoComplete="new-password"
            required
            value={password}
            onChange={setPassword}
          />
          <ErrorBox error={register.error} />
          <button className="primary" type="submit" disabled={register.isPending}>
            Create account
          </button>
        </form>
        <p className="small">
          Have an account?{' '}
          <Link to="/sign-in" search={{}}>
            Sign in
          </Link>
          .
        </p>
      </div>
    </main>
  );
}
