import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { TaskApp } from '@/components/TaskApp';
import * as api from '@/lib/api';
import { makeTask, page } from './helpers';

const replace = jest.fn();
jest.mock('next/navigation', () => ({ useRouter: () => ({ replace, push: jest.fn(), refresh: jest.fn() }) }));
jest.mock('@/lib/api', () => ({
  ...jest.requireActual('@/lib/api'),
  me: jest.fn(),
  logout: jest.fn(),
  listTasks: jest.fn(),
  chat: jest.fn(),
}));
const mocked = api as jest.Mocked<typeof api>;

describe('TaskApp', () => {
  beforeEach(() => {
    mocked.me.mockResolvedValue({ id: 1, email: 'alice@example.test' });
    mocked.listTasks.mockResolvedValue(page([]));
  });

  it('shows who is signed in and logs out', async () => {
    mocked.logout.mockResolvedValue(undefined);
    render(<TaskApp />);
    expect(await screen.findByText('alice@example.test')).toBeInTheDocument();
    await userEvent.setup().click(screen.getByRole('button', { name: 'Log out' }));
    expect(mocked.logout).toHaveBeenCalled();
    expect(replace).toHaveBeenCalledWith('/login');
  });

  it('goes back to log in when the session is gone', async () => {
    mocked.me.mockRejectedValue(new api.ApiError(401, 'Not authenticated'));
    render(<TaskApp />);
    await waitFor(() => expect(replace).toHaveBeenCalledWith('/login'));
  });

  it('refreshes the list after the assistant replied', async () => {
    mocked.chat.mockResolvedValue({ reply: 'Done.', actions: [{ type: 'create_task' }] });
    render(<TaskApp />);
    await screen.findByText(/No tasks yet/);
    mocked.listTasks.mockResolvedValue(page([makeTask({ id: 1, title: 'water the plants' })]));
    const user = userEvent.setup();
    await user.type(screen.getByLabelText('Ask the assistant'), 'add water the plants');
    await user.click(screen.getByRole('button', { name: 'Send' }));
    expect(await screen.findByRole('checkbox', { name: /water the plants/i })).toBeInTheDocument();
  });

  it('shows API errors in the alert region', async () => {
    mocked.listTasks.mockRejectedValue(new api.ApiError(502, 'The server is not reachable right now.'));
    render(<TaskApp />);
    await waitFor(() => expect(screen.getByRole('alert')).toHaveTextContent('The server is not reachable right now.'));
  });
});
