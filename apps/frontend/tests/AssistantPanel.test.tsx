import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { AssistantPanel, describeAction } from '@/components/AssistantPanel';
import * as api from '@/lib/api';

jest.mock('@/lib/api', () => ({ ...jest.requireActual('@/lib/api'), chat: jest.fn() }));
const chat = api.chat as jest.MockedFunction<typeof api.chat>;

describe('describeAction', () => {
  it('summarises the shapes a backend may report', () => {
    expect(describeAction('created a task')).toBe('created a task');
    expect(describeAction({ type: 'create_task', task: { title: 'Milk' } })).toBe('create task: Milk');
    expect(describeAction({ tool: 'complete_task', title: 'Milk' })).toBe('complete task: Milk');
    expect(describeAction({})).toBe('action');
  });
});

describe('AssistantPanel', () => {
  it('sends the message, shows the reply and tells the page to refresh', async () => {
    chat.mockResolvedValue({ reply: 'Added “water the plants”.', actions: [{ type: 'create_task', task: { title: 'water the plants' } }] });
    const onActed = jest.fn();
    render(<AssistantPanel onActed={onActed} />);
    const user = userEvent.setup();

    await user.type(screen.getByLabelText('Ask the assistant'), 'add water the plants');
    await user.click(screen.getByRole('button', { name: 'Send' }));

    expect(chat).toHaveBeenCalledWith('add water the plants');
    const log = screen.getByRole('log');
    expect(log).toHaveTextContent('add water the plants');
    expect(await screen.findByText('Added “water the plants”.')).toBeInTheDocument();
    expect(screen.getByText('create task: water the plants')).toBeInTheDocument();
    expect(onActed).toHaveBeenCalledWith([{ type: 'create_task', task: { title: 'water the plants' } }]);
    expect(screen.getByLabelText('Ask the assistant')).toHaveValue('');
    expect(screen.getByLabelText('Ask the assistant')).toHaveFocus();
  });

  it('asks for a message instead of sending an empty one', async () => {
    render(<AssistantPanel onActed={jest.fn()} />);
    await userEvent.setup().click(screen.getByRole('button', { name: 'Send' }));
    expect(chat).not.toHaveBeenCalled();
    expect(screen.getByLabelText('Ask the assistant')).toHaveAccessibleDescription(/Type a question/);
  });

  it('shows an error in the conversation when the request fails', async () => {
    chat.mockRejectedValue(new api.ApiError(502, 'backend unreachable: connect ECONNREFUSED'));
    const onActed = jest.fn();
    render(<AssistantPanel onActed={onActed} />);
    const user = userEvent.setup();
    await user.type(screen.getByLabelText('Ask the assistant'), 'hello{Enter}');
    expect(await screen.findByText(/backend unreachable/)).toBeInTheDocument();
    expect(onActed).not.toHaveBeenCalled();
  });

  it('hands a 401 to the page', async () => {
    chat.mockRejectedValue(new api.ApiError(401, 'Not authenticated'));
    const onUnauthorized = jest.fn();
    render(<AssistantPanel onActed={jest.fn()} onUnauthorized={onUnauthorized} />);
    await userEvent.setup().type(screen.getByLabelText('Ask the assistant'), 'hi{Enter}');
    expect(onUnauthorized).toHaveBeenCalled();
  });
});
