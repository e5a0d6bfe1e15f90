import type { Metadata } from 'next';
import { AuthForm } from '@/components/AuthForm';

export const metadata: Metadata = { title: 'Log in · Todo' };

export default function LoginPage() {
  return (
    <main id="main" className="container auth-page">
      <p className="brand">Todo</p>
      <AuthForm mode="login" />
    </main>
  );
}
