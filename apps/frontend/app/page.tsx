import { cookies } from 'next/headers';
import { redirect } from 'next/navigation';
import { sessionToken } from '@/lib/session';

export default async function Home() {
  const jar = await cookies();
  redirect(sessionToken((name) => jar.get(name)?.value) ? '/tasks' : '/login');
}
