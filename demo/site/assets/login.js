// Sign-in form: checks the fields before sending (the server checks them again), then posts
// JSON to /api/login and follows the redirect it answers with.
'use strict';

(function () {
  const form = document.getElementById('login-form');
  const formError = document.getElementById('form-error');
  if (!form || !formError) return;
  const fields = {
    email: document.getElementById('email'),
    password: document.getElementById('password'),
  };
  const emailPattern = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

  function validate(email, password) {
    const errors = {};
    if (email.trim() === '') errors.email = 'Email is required';
    else if (!emailPattern.test(email.trim())) errors.email = 'Enter a valid email';
    if (password === '') errors.password = 'Password is required';
    else if (password.length < 8) errors.password = 'Password must be at least 8 characters';
    return errors;
  }

  function showErrors(errors) {
    for (const [name, input] of Object.entries(fields)) {
      const message = document.getElementById(`${name}-error`);
      const text = errors[name];
      input.setAttribute('aria-invalid', text ? 'true' : 'false');
      message.textContent = text || '';
      message.hidden = !text;
    }
  }

  function showFormError(text) {
    formError.textContent = text || '';
    formError.hidden = !text;
  }

  // A browser without scripts posts the form itself; the server redirects back with a reason.
  const reason = new URLSearchParams(window.location.search).get('error');
  if (reason === 'invalid') showFormError('Invalid email or password');
  if (reason === 'validation') showFormError('Check your email and password');

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    showFormError('');
    const email = fields.email.value;
    const password = fields.password.value;
    const errors = validate(email, password);
    showErrors(errors);
    const firstInvalid = Object.keys(errors)[0];
    if (firstInvalid) {
      fields[firstInvalid].focus();
      return;
    }
    const submit = form.querySelector('button[type="submit"]');
    submit.disabled = true;
    try {
      const next = new URLSearchParams(window.location.search).get('next') || undefined;
      const response = await fetch('/api/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password, next }),
      });
      const body = await response.json().catch(() => ({}));
      if (response.ok) {
        window.location.assign(body.redirect || '/dashboard');
        return;
      }
      if (response.status === 400 && body.details && body.details.fields) {
        showErrors(body.details.fields);
      } else {
        showFormError(body.error || 'Sign-in failed, please try again');
      }
    } catch {
      showFormError('The server could not be reached, please try again');
    } finally {
      submit.disabled = false;
    }
  });
})();
