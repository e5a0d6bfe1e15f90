import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { PAGE_SIZE, TaskList } from '@/components/TaskList';
import * as api from '@/lib/api';
import { makeTask, page } from './helpers';

jest.mock('@/lib/api', () => ({
  ...jest.requireActual('@/lib/api'),
  listTasks: jest.fn(),
  createTask: jest.fn(),
  completeTask: jest.fn(),
}));
const mocked = api as jest.Mocked<typeof api>;

function renderList(props: Partial<React.ComponentProps<typeof TaskList>> = {}) {
  const onError = jest.fn();
  const announce = jest.fn();
  const utils = render(<TaskList onError={onError} announce={announce} {...props} />);
  return { ...utils, onError, announce, user: userEvent.setup() };
}

describe('TaskList', () => {
  it('loads the first page and shows the tasks', async () => {
    mocked.listTasks.mockResolvedValue(page([makeTask({ id: 1, title: 'One' }), makeTask({ id: 2, title: 'Two', done: true })]));
    renderList();
    expect(await screen.findByRole('checkbox', { name: 'One' })).not.toBeChecked();
    expect(screen.getByRole('checkbox', { name: 'Two' })).toBeChecked();
    expect(screen.getByTestId('task-count')).toHaveTextContent('2 tasks');
    expect(mocked.listTasks).toHaveBeenCalledWith({ status: 'all', q: '', limit: PAGE_SIZE, offset: 0 });
  });

  it('shows an empty state', async () => {
    mocked.listTasks.mockResolvedValue(page([]));
    renderList();
    expect(await screen.findByText(/No tasks yet/)).toBeInTheDocument();
  });

  it('adds a task via the "New task" field and reloads the list', async () => {
    mocked.listTasks.mockResolvedValueOnce(page([]));
    mocked.createTask.mockResolvedValue(makeTask({ id: 3, title: 'Water the plants' }));
    mocked.listTasks.mockResolvedValueOnce(page([makeTask({ id: 3, title: 'Water the plants' })]));
    const { user, announce } = renderList();
    await screen.findByText(/No tasks yet/);

    await user.type(screen.getByLabelText('New task'), '  Water the plants ');
    await user.click(screen.getByRole('button', { name: 'Add' }));

    expect(mocked.createTask).toHaveBeenCalledWith({ title: 'Water the plants' });
    expect(await screen.findByRole('checkbox', { name: 'Water the plants' })).toBeInTheDocument();
    expect(screen.getByLabelText('New task')).toHaveValue('');
    expect(announce).toHaveBeenCalledWith('Added “Water the plants”.');
  });

  it('refuses an empty title with a message next to the field', async () => {
    mocked.listTasks.mockResolvedValue(page([]));
    const { user } = renderList();
    await user.click(screen.getByRole('button', { name: 'Add' }));
    expect(screen.getByLabelText('New task')).toHaveAccessibleDescription('Give the task a title.');
    expect(mocked.createTask).not.toHaveBeenCalled();
  });

  it('sends a description when one is given', async () => {
    mocked.listTasks.mockResolvedValue(page([]));
    mocked.createTask.mockResolvedValue(makeTask({ id: 4, title: 'Call', description: 'the plumber' }));
    const { user } = renderList();
    await user.click(screen.getByRole('button', { name: 'Include a description' }));
    await user.type(screen.getByLabelText('Description (optional)'), 'the plumber');
    await user.type(screen.getByLabelText('New task'), 'Call');
    await user.keyboard('{Enter}');
    expect(mocked.createTask).toHaveBeenCalledWith({ title: 'Call', description: 'the plumber' });
  });

  it('filters by status', async () => {
    mocked.listTasks.mockResolvedValue(page([]));
    const { user } = renderList();
    await screen.findByText(/No tasks yet/);
    mocked.listTasks.mockResolvedValue(page([makeTask({ id: 5, title: 'Finished', done: true })]));
    await user.click(screen.getByRole('radio', { name: 'Done' }));
    expect(await screen.findByRole('checkbox', { name: 'Finished' })).toBeChecked();
    expect(mocked.listTasks).toHaveBeenLastCalledWith(expect.objectContaining({ status: 'done', offset: 0 }));
    await user.click(screen.getByRole('radio', { name: 'Open' }));
    await waitFor(() => expect(mocked.listTasks).toHaveBeenLastCalledWith(expect.objectContaining({ status: 'open' })));
  });

  it('searches after the user stops typing', async () => {
    mocked.listTasks.mockResolvedValue(page([]));
    const { user } = renderList();
    await screen.findByText(/No tasks yet/);
    const calls = mocked.listTasks.mock.calls.length;
    await user.type(screen.getByRole('searchbox', { name: 'Search tasks' }), 'milk');
    await waitFor(() => expect(mocked.listTasks).toHaveBeenLastCalledWith(expect.objectContaining({ q: 'milk' })));
    // debounced: one request for the whole word, not one per key
    expect(mocked.listTasks.mock.calls.length - calls).toBe(1);
    expect(await screen.findByText(/No tasks match/)).toBeInTheDocument();
  });

  it('loads more when there are more tasks than one page', async () => {
    const first = Array.from({ length: PAGE_SIZE }, (_, i) => makeTask({ id: i + 1, title: `T${i + 1}` }));
    mocked.listTasks.mockResolvedValueOnce(page(first, PAGE_SIZE + 2));
    mocked.listTasks.mockResolvedValueOnce(page([makeTask({ id: 21, title: 'T21' }), makeTask({ id: 22, title: 'T22' })], PAGE_SIZE + 2, PAGE_SIZE));
    const { user } = renderList();
    await screen.findByRole('checkbox', { name: 'T1' });
    await user.click(screen.getByRole('button', { name: /Load more/ }));
    expect(await screen.findByRole('checkbox', { name: 'T22' })).toBeInTheDocument();
    expect(mocked.listTasks).toHaveBeenLastCalledWith(expect.objectContaining({ limit: PAGE_SIZE, offset: PAGE_SIZE }));
    expect(within(screen.getByTestId('task-list')).getAllByRole('checkbox')).toHaveLength(PAGE_SIZE + 2);
    expect(screen.queryByRole('button', { name: /Load more/ })).not.toBeInTheDocument();
  });

  it('reloads when refreshKey changes (after the assistant acted)', async () => {
    mocked.listTasks.mockResolvedValue(page([]));
    const { rerender, onError, announce } = renderList({ refreshKey: 0 });
    await screen.findByText(/No tasks yet/);
    mocked.listTasks.mockResolvedValue(page([makeTask({ id: 9, title: 'From the assistant' })]));
    rerender(<TaskList refreshKey={1} onError={onError} announce={announce} />);
    expect(await screen.findByRole('checkbox', { name: 'From the assistant' })).toBeInTheDocument();
  });

  it('drops a completed task from the "open" view', async () => {
    mocked.listTasks.mockResolvedValue(page([makeTask({ id: 1, title: 'One' })]));
    mocked.completeTask.mockResolvedValue(makeTask({ id: 1, title: 'One', done: true }));
    const { user } = renderList();
    await screen.findByRole('checkbox', { name: 'One' });
    await user.click(screen.getByRole('radio', { name: 'Open' }));
    await waitFor(() => expect(mocked.listTasks).toHaveBeenLastCalledWith(expect.objectContaining({ status: 'open' })));
    await user.click(await screen.findByRole('checkbox', { name: 'One' }));
    await waitFor(() => expect(screen.queryByRole('checkbox', { name: 'One' })).not.toBeInTheDocument());
  });

  it('reports a failed load', async () => {
    mocked.listTasks.mockRejectedValue(new api.ApiError(502, 'backend unreachable'));
    const { onError } = renderList();
    await waitFor(() => expect(onError).toHaveBeenCalledWith(expect.objectContaining({ status: 502 })));
  });
});
