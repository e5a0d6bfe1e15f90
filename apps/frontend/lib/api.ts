/*
 * The browser's only view of the backend API. Every request goes to this origin's /api/*, which the
 * Next.js server proxies to the backend (see lib/proxy.ts); the session cookie is httpOnly, so nothing
 * here ever handles a token. Field names of the backend contract live only in this file.
 */

export interface User {
  id: number | string;
  email: string;
}

export interface Task {
  id: number | string;
  title: string;
  description: string | null;
  done: boolean;
  created_at?: string;
  updated_at?: string;
}

export interface TaskPage {
  items: Task[];
  total: number;
  limit: number;
  offset: number;
}

export type StatusFilter = 'all' | 'open' | 'done';

export interface TaskQuery {
  status?: StatusFilter;
  q?: string;
  limit?: number;
  offset?: number;
}

export interface TaskInput {
  title: string;
  description?: string | null;
}

export interface ChatResult {
  reply: string;
  actions: unknown[];
}

export interface Credentials {
  email: string;
  password: string;
}

/** An error the UI can show: `message` for an alert, `fieldErrors` next to form fields (from 422s). */
export class ApiError extends Error {
  readonly status: number;
  readonly fieldErrors: Record<string, string>;

  constructor(status: number, message: string, fieldErrors: Record<string, string> = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.fieldErrors = fieldErrors;
  }
}

interface ValidationItem {
  loc?: unknown[];
  msg?: string;
}

/** FastAPI errors: `{detail: string}` or `{detail: [{loc, msg, type}]}`. */
export function parseErrorBody(status: number, body: unknown): ApiError {
  const detail = (body as { detail?: unknown } | null)?.detail;
  if (typeof detail === 'string' && detail) return new ApiError(status, detail);
  if (Array.isArray(detail)) {
    const fieldErrors: Record<string, string> = {};
    const other: string[] = [];
    for (const item of detail as ValidationItem[]) {
      const loc = Array.isArray(item?.loc) ? item.loc : [];
      const msg = typeof item?.msg === 'string' ? item.msg : 'Invalid value';
      const field = loc.length > 1 && loc[0] === 'body' ? String(loc[loc.length - 1]) : undefined;
      if (field && !fieldErrors[field]) fieldErrors[field] = msg;
      else if (!field) other.push(msg);
    }
    const message = other.length ? other.join('; ') : 'Please correct the highlighted fields.';
    return new ApiError(status, message, fieldErrors);
  }
  return new ApiError(status, defaultMessage(status));
}

function defaultMessage(status: number): string {
  if (status === 401) return 'Your session has ended. Please log in again.';
  if (status === 404) return 'Not found.';
  if (status === 502 || status === 503 || status === 504) return 'The server is not reachable right now. Please try again.';
  return `Request failed (HTTP ${status}).`;
}

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers: body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch {
    throw new ApiError(0, 'Could not reach the server. Check your connection and try again.');
  }
  const text = res.status === 204 ? '' : await res.text();
  let data: unknown = undefined;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = undefined;
    }
  }
  if (!res.ok) throw parseErrorBody(res.status, data);
  return data as T;
}

function taskQueryString(query: TaskQuery): string {
  const params = new URLSearchParams();
  if (query.status && query.status !== 'all') params.set('status', query.status);
  if (query.q?.trim()) params.set('q', query.q.trim());
  if (query.limit !== undefined) params.set('limit', String(query.limit));
  if (query.offset !== undefined) params.set('offset', String(query.offset));
  const s = params.toString();
  return s ? `?${s}` : '';
}

const taskPath = (id: Task['id']) => `/api/tasks/${encodeURIComponent(String(id))}`;

export async function signup(credentials: Credentials): Promise<User> {
  // The frontend server keeps the token (httpOnly cookie) and passes on only `user`.
  const res = await request<{ user: User }>('POST', '/api/auth/signup', credentials);
  return res.user;
}

export async function login(credentials: Credentials): Promise<User> {
  const res = await request<{ user: User }>('POST', '/api/auth/login', credentials);
  return res.user;
}

export async function logout(): Promise<void> {
  await request<unknown>('POST', '/api/auth/logout');
}

export function me(): Promise<User> {
  return request<User>('GET', '/api/auth/me');
}

export function listTasks(query: TaskQuery = {}): Promise<TaskPage> {
  return request<TaskPage>('GET', `/api/tasks${taskQueryString(query)}`);
}

export function createTask(input: TaskInput): Promise<Task> {
  return request<Task>('POST', '/api/tasks', input);
}

export function updateTask(id: Task['id'], input: Partial<TaskInput>): Promise<Task> {
  return request<Task>('PATCH', taskPath(id), input);
}

export async function deleteTask(id: Task['id']): Promise<void> {
  await request<unknown>('DELETE', taskPath(id));
}

export function completeTask(id: Task['id']): Promise<Task> {
  return request<Task>('POST', `${taskPath(id)}/complete`);
}

export function reopenTask(id: Task['id']): Promise<Task> {
  return request<Task>('POST', `${taskPath(id)}/reopen`);
}

export function chat(message: string): Promise<ChatResult> {
  return request<ChatResult>('POST', '/api/chat', { message }).then((r) => ({
    reply: typeof r?.reply === 'string' ? r.reply : '',
    actions: Array.isArray(r?.actions) ? r.actions : [],
  }));
}
