import type { Metadata } from 'next';
import { AuthForm } from '@/components/AuthForm';

export const metadata: Metadata = { title: 'Sign up · Todo' };

export default function SignupPage() {
  return (
    <main id="main" className="container auth-page">
      <p className="brand">Todo</p>
      <AuthForm mode="signup" />
    </main>
  );
}
