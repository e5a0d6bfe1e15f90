import type { Metadata } from 'next';
import { cookies } from 'next/headers';
import { redirect } from 'next/navigation';
import { TaskApp } from '@/components/TaskApp';
import { sessionToken } from '@/lib/session';

export const metadata: Metadata = { title: 'Tasks · Todo' };

export default async function TasksPage() {
  // Only a presence check: the backend validates the token on every API call, and a rejected one
  // is cleared by the proxy, after which the client sends the user back here → /login.
  const jar = await cookies();
  if (!sessionToken((name) => jar.get(name)?.value)) redirect('/login');
  return <TaskApp />;
}
