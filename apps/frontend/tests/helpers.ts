import type { Task } from '@/lib/api';

export function makeTask(overrides: Partial<Task> = {}): Task {
  const id = overrides.id ?? Math.floor(Math.random() * 1e9);
  return {
    id,
    title: `Task ${id}`,
    description: null,
    done: false,
    created_at: '2026-01-01T00:00:00Z',
    updated_at: '2026-01-01T00:00:00Z',
    ...overrides,
  };
}

export function page(items: Task[], total = items.length, offset = 0, limit = 20) {
  return { items, total, limit, offset };
}
