/**
 * @jest-environment node
 */
import * as api from '@/lib/api';

function respond(status: number, body?: unknown) {
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json' },
  });
}

describe('lib/api', () => {
  const fetchMock = jest.fn();
  beforeEach(() => {
    global.fetch = fetchMock as unknown as typeof fetch;
    fetchMock.mockReset();
  });

  it('builds the task query string (no status for "all", trimmed search)', async () => {
    fetchMock.mockImplementation(() => Promise.resolve(respond(200, { items: [], total: 0, limit: 20, offset: 0 })));
    await api.listTasks({ status: 'all', q: '  milk ', limit: 20, offset: 40 });
    expect(fetchMock).toHaveBeenLastCalledWith('/api/tasks?q=milk&limit=20&offset=40', expect.objectContaining({ method: 'GET' }));
    await api.listTasks({ status: 'done' });
    expect(fetchMock).toHaveBeenLastCalledWith('/api/tasks?status=done', expect.anything());
  });

  it('sends JSON bodies and returns the user from signup/login', async () => {
    fetchMock.mockResolvedValue(respond(201, { user: { id: 1, email: 'a@b.co' } }));
    await expect(api.signup({ email: 'a@b.co', password: 'pw' })).resolves.toEqual({ id: 1, email: 'a@b.co' });
    const [url, init] = fetchMock.mock.calls[0];
    expect(url).toBe('/api/auth/signup');
    expect(init).toMatchObject({ method: 'POST', credentials: 'same-origin', body: JSON.stringify({ email: 'a@b.co', password: 'pw' }) });
    expect(init.headers['content-type']).toBe('application/json');
  });

  it('uses the task action endpoints', async () => {
    fetchMock.mockImplementation(() => Promise.resolve(respond(200, { id: 5, title: 't', done: true })));
    await api.completeTask(5);
    await api.reopenTask(5);
    await api.updateTask(5, { title: 'x' });
    fetchMock.mockResolvedValueOnce(new Response(null, { status: 204 }));
    await api.deleteTask(5);
    expect(fetchMock.mock.calls.map(([u, i]) => `${i.method} ${u}`)).toEqual([
      'POST /api/tasks/5/complete',
      'POST /api/tasks/5/reopen',
      'PATCH /api/tasks/5',
      'DELETE /api/tasks/5',
    ]);
  });

  it('normalises the chat reply', async () => {
    fetchMock.mockResolvedValue(respond(200, { reply: 'hi' }));
    await expect(api.chat('hello')).resolves.toEqual({ reply: 'hi', actions: [] });
  });

  it('turns FastAPI errors into ApiError with field messages', async () => {
    fetchMock.mockResolvedValue(
      respond(422, { detail: [{ loc: ['body', 'email'], msg: 'value is not a valid email address', type: 'value_error' }] }),
    );
    const err = await api.login({ email: 'x', password: 'y' }).catch((e) => e);
    expect(err).toBeInstanceOf(api.ApiError);
    expect(err.status).toBe(422);
    expect(err.fieldErrors).toEqual({ email: 'value is not a valid email address' });

    fetchMock.mockResolvedValue(respond(409, { detail: 'Email already registered' }));
    await expect(api.signup({ email: 'x', password: 'y' })).rejects.toMatchObject({ status: 409, message: 'Email already registered' });

    fetchMock.mockImplementation(() => Promise.resolve(new Response('<html>bad gateway</html>', { status: 502 })));
    await expect(api.me()).rejects.toMatchObject({ status: 502, message: expect.stringMatching(/not reachable/) });

    fetchMock.mockRejectedValue(new TypeError('Failed to fetch'));
    await expect(api.me()).rejects.toMatchObject({ status: 0 });
  });

  it('keeps non-field validation messages for the alert', () => {
    const err = api.parseErrorBody(422, { detail: [{ loc: ['query', 'limit'], msg: 'too big' }] });
    expect(err.message).toBe('too big');
    expect(err.fieldErrors).toEqual({});
  });
});
