'use client';

import { ChangeEvent, useCallback, useEffect, useId, useRef, useState } from 'react';
import { StatusFilter, Task, listTasks } from '@/lib/api';
import { AddTaskForm } from './AddTaskForm';
import { TaskItem } from './TaskItem';

export const PAGE_SIZE = 20;
export const SEARCH_DEBOUNCE_MS = 300;

const FILTERS: { value: StatusFilter; label: string }[] = [
  { value: 'all', label: 'All' },
  { value: 'open', label: 'Open' },
  { value: 'done', label: 'Done' },
];

export interface TaskListProps {
  /** Bumped by the parent (e.g. after the assistant acted) to reload the list. */
  refreshKey?: number;
  onError: (error: unknown) => void;
  announce: (message: string) => void;
}

function matchesFilter(task: Task, status: StatusFilter): boolean {
  return status === 'all' || (status === 'done') === task.done;
}

export function TaskList({ refreshKey = 0, onError, announce }: TaskListProps) {
  const id = useId();
  const headingRef = useRef<HTMLHeadingElement>(null);
  const [status, setStatus] = useState<StatusFilter>('all');
  const [search, setSearch] = useState('');
  const [query, setQuery] = useState('');
  const [items, setItems] = useState<Task[]>([]);
  const [total, setTotal] = useState(0);
  const [loading, setLoading] = useState(true);
  const [loadingMore, setLoadingMore] = useState(false);
  const [loaded, setLoaded] = useState(false);
  const generation = useRef(0);
  const itemCount = useRef(0);
  itemCount.current = items.length;

  // Debounce the search box so typing doesn't fire a request per key.
  useEffect(() => {
    const t = setTimeout(() => setQuery(search.trim()), SEARCH_DEBOUNCE_MS);
    return () => clearTimeout(t);
  }, [search]);

  const load = useCallback(
    async (limit: number) => {
      const gen = ++generation.current;
      setLoading(true);
      try {
        const page = await listTasks({ status, q: query, limit, offset: 0 });
        if (gen !== generation.current) return;
        setItems(page.items);
        setTotal(page.total);
        setLoaded(true);
      } catch (err) {
        if (gen === generation.current) onError(err);
      } finally {
        if (gen === generation.current) setLoading(false);
      }
    },
    [status, query, onError],
  );

  // New filter or search: first page.
  useEffect(() => {
    void load(PAGE_SIZE);
  }, [load]);

  // Refresh requested from outside: reload as many items as are shown.
  const firstRefresh = useRef(true);
  useEffect(() => {
    if (firstRefresh.current) {
      firstRefresh.current = false;
      return;
    }
    void load(Math.max(PAGE_SIZE, itemCount.current));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [refreshKey]);

  async function loadMore() {
    const gen = generation.current;
    setLoadingMore(true);
    try {
      const page = await listTasks({ status, q: query, limit: PAGE_SIZE, offset: items.length });
      if (gen !== generation.current) return;
      setItems((prev) => {
        const seen = new Set(prev.map((t) => String(t.id)));
        return [...prev, ...page.items.filter((t) => !seen.has(String(t.id)))];
      });
      setTotal(page.total);
      announce(`Showing ${Math.min(items.length + page.items.length, page.total)} of ${page.total} tasks.`);
    } catch (err) {
      onError(err);
    } finally {
      setLoadingMore(false);
    }
  }

  const onAdded = (task: Task) => {
    announce(`Added “${task.title}”.`);
    void load(Math.max(PAGE_SIZE, itemCount.current + 1));
  };

  const onChanged = (task: Task) => {
    if (!matchesFilter(task, status)) {
      setItems((prev) => prev.filter((t) => String(t.id) !== String(task.id)));
      setTotal((n) => Math.max(0, n - 1));
    } else {
      setItems((prev) => prev.map((t) => (String(t.id) === String(task.id) ? task : t)));
    }
  };

  const onDeleted = (task: Task) => {
    setItems((prev) => prev.filter((t) => String(t.id) !== String(task.id)));
    setTotal((n) => Math.max(0, n - 1));
    headingRef.current?.focus();
  };

  const filtered = status !== 'all' || query !== '';
  const emptyText = filtered ? 'No tasks match this filter.' : 'No tasks yet. Add your first one above.';

  return (
    <section className="card tasks" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`} ref={headingRef} tabIndex={-1}>
        Your tasks
      </h2>
      <AddTaskForm onAdded={onAdded} onError={onError} />

      <div className="toolbar" role="search">
        <fieldset className="segmented">
          <legend className="visually-hidden">Show</legend>
          {FILTERS.map((f) => (
            <label key={f.value} className="segmented-option">
              <input
                type="radio"
                name={`${id}-status`}
                value={f.value}
                checked={status === f.value}
                onChange={(e: ChangeEvent<HTMLInputElement>) => setStatus(e.target.value as StatusFilter)}
                data-testid={`filter-${f.value}`}
              />
              <span>{f.label}</span>
            </label>
          ))}
        </fieldset>
        <div className="field search-field">
          <label htmlFor={`${id}-search`} className="visually-hidden">
            Search tasks
          </label>
          <input
            id={`${id}-search`}
            type="search"
            placeholder="Search tasks"
            value={search}
            onChange={(e) => setSearch(e.target.value)}
            data-testid="task-search"
          />
        </div>
      </div>

      <p className="muted count" aria-live="polite" data-testid="task-count">
        {loaded ? `${total} ${total === 1 ? 'task' : 'tasks'}${filtered ? ' found' : ''}` : ''}
        {loading ? <span className="loading"> Loading…</span> : null}
      </p>

      {loaded && items.length === 0 ? (
        <p className="empty" data-testid="task-empty">
          {emptyText}
        </p>
      ) : (
        <ul className="task-list" aria-busy={loading} data-testid="task-list">
          {items.map((task) => (
            <TaskItem
              key={String(task.id)}
              task={task}
              onChanged={onChanged}
              onDeleted={onDeleted}
              onError={onError}
              announce={announce}
            />
          ))}
        </ul>
      )}

      {items.length < total && (
        <button type="button" className="button button-block" onClick={loadMore} disabled={loadingMore} data-testid="load-more">
          {loadingMore ? 'Loading…' : `Load more (${total - items.length} more)`}
        </button>
      )}
    </section>
  );
}
