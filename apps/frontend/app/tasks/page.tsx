import type { Metadata } from 'next';
import { cookies } from 'next/headers';
import { redirect } from 'next/navigation';
import { TaskApp } from '@/components/TaskApp';
import { SESSION_COOKIE } from '@/lib/session';

export const metadata: Metadata = { title: 'Tasks · Todo' };

export default async function TasksPage() {
  // Only a presence check: the backend validates the token on every API call, and a rejected one
  // is cleared by the proxy, after which the client sends the user back here → /login.
  if (!(await cookies()).get(SESSION_COOKIE)?.value) redirect('/login');
  return <TaskApp />;
}
