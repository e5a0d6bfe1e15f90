'use client';

import { useRouter } from 'next/navigation';
import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, User, logout, me } from '@/lib/api';
import { AssistantPanel } from './AssistantPanel';
import { TaskList } from './TaskList';

/** The signed-in page: header with log out, the task list and the assistant side by side (stacked when narrow). */
export function TaskApp() {
  const router = useRouter();
  const [user, setUser] = useState<User | null>(null);
  const [status, setStatus] = useState('');
  const [error, setError] = useState('');
  const [refreshKey, setRefreshKey] = useState(0);
  const [loggingOut, setLoggingOut] = useState(false);
  const statusTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  const goToLogin = useCallback(() => router.replace('/login'), [router]);

  const announce = useCallback((message: string) => {
    setError('');
    setStatus(message);
    clearTimeout(statusTimer.current);
    statusTimer.current = setTimeout(() => setStatus(''), 5000);
  }, []);

  const onError = useCallback(
    (err: unknown) => {
      if (err instanceof ApiError && err.status === 401) {
        goToLogin();
        return;
      }
      setError(err instanceof Error ? err.message : 'Something went wrong.');
    },
    [goToLogin],
  );

  useEffect(() => {
    let cancelled = false;
    me()
      .then((u) => !cancelled && setUser(u))
      .catch((err) => !cancelled && onError(err));
    return () => {
      cancelled = true;
      clearTimeout(statusTimer.current);
    };
  }, [onError]);

  async function onLogout() {
    setLoggingOut(true);
    try {
      await logout();
    } catch {
      // The cookie is cleared by our own server; even if that failed, leave the page.
    }
    router.replace('/login');
  }

  return (
    <>
      <header className="app-header">
        <div className="container app-header-inner">
          <p className="brand">Todo</p>
          <div className="app-header-user">
            {user && (
              <span className="muted user-email" data-testid="user-email">
                {user.email}
              </span>
            )}
            <button type="button" className="button button-small" onClick={onLogout} disabled={loggingOut} data-testid="logout">
              Log out
            </button>
          </div>
        </div>
      </header>
      <main id="main" className="container">
        <h1 className="visually-hidden">Tasks</h1>
        <p role="status" className={status ? 'alert alert-info' : 'visually-hidden'} data-testid="status">
          {status}
        </p>
        <div role="alert" className={error ? 'alert alert-error' : 'visually-hidden'} data-testid="error">
          {error && (
            <>
              <span>{error}</span>
              <button type="button" className="link-button" onClick={() => setError('')}>
                Dismiss
              </button>
            </>
          )}
        </div>
        <div className="workspace">
          <TaskList refreshKey={refreshKey} onError={onError} announce={announce} />
          <AssistantPanel onActed={() => setRefreshKey((k) => k + 1)} onUnauthorized={goToLogin} />
        </div>
      </main>
    </>
  );
}
