import { cookies } from 'next/headers';
import { redirect } from 'next/navigation';
import { SESSION_COOKIE } from '@/lib/session';

export default async function Home() {
  const session = (await cookies()).get(SESSION_COOKIE);
  redirect(session?.value ? '/tasks' : '/login');
}
