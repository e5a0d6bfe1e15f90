'use client';

import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { FormEvent, useId, useRef, useState } from 'react';
import { ApiError, login, signup } from '@/lib/api';

export type AuthMode = 'login' | 'signup';

type Field = 'email' | 'password';
type FieldErrors = Partial<Record<Field, string>>;

// The server's rule (NIST SP 800-63B Rev. 4; apps/backend/todo_api/password_policy.py): 15 to 256
// characters, no composition rules; common passwords and ones built from the email are refused there.
export const MIN_PASSWORD_LENGTH = 15;
export const MAX_PASSWORD_LENGTH = 256;
const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function validateCredentials(mode: AuthMode, email: string, password: string): FieldErrors {
  const errors: FieldErrors = {};
  if (!email.trim()) errors.email = 'Enter your email address.';
  else if (!EMAIL_RE.test(email.trim())) errors.email = 'Enter a valid email address, like name@example.com.';
  if (!password) errors.password = 'Enter your password.';
  else if (mode === 'signup' && password.length < MIN_PASSWORD_LENGTH)
    errors.password = `Use at least ${MIN_PASSWORD_LENGTH} characters.`;
  else if (mode === 'signup' && password.length > MAX_PASSWORD_LENGTH)
    errors.password = `Use at most ${MAX_PASSWORD_LENGTH} characters.`;
  return errors;
}

const COPY = {
  login: {
    heading: 'Log in',
    intro: 'Welcome back. Log in to see your tasks.',
    submit: 'Log in',
    pending: 'Logging in…',
    switchText: 'No account yet?',
    switchLink: 'Create one',
    switchHref: '/signup',
    passwordAutocomplete: 'current-password',
  },
  signup: {
    heading: 'Create your account',
    intro: 'Sign up to start keeping track of your tasks.',
    submit: 'Sign up',
    pending: 'Signing up…',
    switchText: 'Already have an account?',
    switchLink: 'Log in instead',
    switchHref: '/login',
    passwordAutocomplete: 'new-password',
  },
} as const;

export function AuthForm({ mode }: { mode: AuthMode }) {
  const copy = COPY[mode];
  const router = useRouter();
  const id = useId();
  const emailRef = useRef<HTMLInputElement>(null);
  const passwordRef = useRef<HTMLInputElement>(null);
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState('');
  const [pending, setPending] = useState(false);

  const focusFirstInvalid = (errs: FieldErrors) => {
    if (errs.email) emailRef.current?.focus();
    else if (errs.password) passwordRef.current?.focus();
  };

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (pending) return;
    setFormError('');
    const found = validateCredentials(mode, email, password);
    setErrors(found);
    if (Object.keys(found).length) {
      focusFirstInvalid(found);
      return;
    }
    setPending(true);
    try {
      const credentials = { email: email.trim(), password };
      if (mode === 'signup') await signup(credentials);
      else await login(credentials);
      router.replace('/tasks');
    } catch (err) {
      setPending(false);
      if (err instanceof ApiError) {
        const fieldErrors: FieldErrors = {};
        if (err.fieldErrors.email) fieldErrors.email = err.fieldErrors.email;
        if (err.fieldErrors.password) fieldErrors.password = err.fieldErrors.password;
        setErrors(fieldErrors);
        const unplaced = Object.keys(err.fieldErrors).some((k) => k !== 'email' && k !== 'password');
        if (!Object.keys(fieldErrors).length || unplaced) setFormError(err.message);
        focusFirstInvalid(fieldErrors);
      } else {
        setFormError('Something went wrong. Please try again.');
      }
    }
  }

  const emailErrorId = `${id}-email-error`;
  const passwordErrorId = `${id}-password-error`;
  const passwordHintId = `${id}-password-hint`;

  return (
    <section className="card auth-card" aria-labelledby={`${id}-heading`}>
      <h1 id={`${id}-heading`}>{copy.heading}</h1>
      <p className="muted">{copy.intro}</p>
      <div role="alert" className={formError ? 'alert alert-error' : 'visually-hidden'} data-testid="auth-error">
        {formError}
      </div>
      <form noValidate onSubmit={onSubmit} aria-busy={pending} data-testid={`${mode}-form`}>
        <div className="field">
          <label htmlFor={`${id}-email`}>Email</label>
          <input
            ref={emailRef}
            id={`${id}-email`}
            name="email"
            type="email"
            autoComplete="email"
            inputMode="email"
            value={email}
            onChange={(e) => setEmail(e.target.value)}
            aria-invalid={errors.email ? true : undefined}
            aria-describedby={errors.email ? emailErrorId : undefined}
            required
          />
          {errors.email && (
            <p id={emailErrorId} className="field-error">
              {errors.email}
            </p>
          )}
        </div>
        <div className="field">
          <label htmlFor={`${id}-password`}>Password</label>
          <input
            ref={passwordRef}
            id={`${id}-password`}
            name="password"
            type="password"
            autoComplete={copy.passwordAutocomplete}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            aria-invalid={errors.password ? true : undefined}
            aria-describedby={
              [errors.password ? passwordErrorId : '', mode === 'signup' ? passwordHintId : ''].filter(Boolean).join(' ') ||
              undefined
            }
            required
          />
          {mode === 'signup' && (
            <p id={passwordHintId} className="hint">
              At least {MIN_PASSWORD_LENGTH} characters; a few unrelated words work well. Common passwords and
              ones built from your email are refused.
            </p>
          )}
          {errors.password && (
            <p id={passwordErrorId} className="field-error">
              {errors.password}
            </p>
          )}
        </div>
        <button type="submit" className="button button-primary button-block" disabled={pending}>
          {copy.submit}
        </button>
        <p className="visually-hidden" role="status">
          {pending ? copy.pending : ''}
        </p>
      </form>
      <p className="switch">
        {copy.switchText} <Link href={copy.switchHref}>{copy.switchLink}</Link>
      </p>
    </section>
  );
}
