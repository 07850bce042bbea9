import { useMutation } from '@tanstack/react-query';
import { Link, useSearch } from '@tanstack/react-router';
import { useEffect } from 'react';
import { api } from '../api';
import { ErrorBox, usePageTitle } from '../ui/kit';

/** The page the verification mail links to: confirms the address with the token, once. */
export default function VerifyEmail() {
  usePageTitle('Confirm your e-mail');
  const { token } = useSearch({ from: '/verify-email' });
  const verify = useMutation({
    mutationFn: (t: string) =>
      api<{ message: string }>('/auth/verify-email', { method: 'POST', body: { token: t } }),
  });
  const { mutate } = verify;
  useEffect(() => {
    if (token) mutate(token);
  }, [token, mutate]);
  return (
    <main id="main" style={{ maxWidth: 420, marginTop: '10vh' }}>
      <div className="card">
        <h1>Confirm your e-mail</h1>
        {!token && <p role="alert">This link has no token. Open the link from the mail again.</p>}
        {verify.isPending && <p>Confirming…</p>}
        {verify.isSuccess && <p role="status">{verify.data.message}</p>}
        <ErrorBox error={verify.error} />
        <p className="small">
          <Link to="/sign-in" search={{}}>
            Sign in
          </Link>
        </p>
      </div>
    </main>
  );
}
