import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { TaskItem, TaskItemProps } from '@/components/TaskItem';
import * as api from '@/lib/api';
import { makeTask } from './helpers';

jest.mock('@/lib/api', () => ({
  ...jest.requireActual('@/lib/api'),
  completeTask: jest.fn(),
  reopenTask: jest.fn(),
  updateTask: jest.fn(),
  deleteTask: jest.fn(),
}));
const mocked = api as jest.Mocked<typeof api>;

function setup(overrides: Partial<TaskItemProps> = {}) {
  const props: TaskItemProps = {
    task: makeTask({ id: 7, title: 'Buy oat milk', description: 'two cartons' }),
    onChanged: jest.fn(),
    onDeleted: jest.fn(),
    onError: jest.fn(),
    announce: jest.fn(),
    ...overrides,
  };
  render(
    <ul>
      <TaskItem {...props} />
    </ul>,
  );
  return { props, user: userEvent.setup() };
}

describe('TaskItem', () => {
  it('is a checkbox named by the task title, with the description shown', () => {
    setup();
    expect(screen.getByRole('checkbox', { name: 'Buy oat milk' })).not.toBeChecked();
    expect(screen.getByText('two cartons')).toBeInTheDocument();
  });

  it('completes and reopens through the API client', async () => {
    mocked.completeTask.mockResolvedValue(makeTask({ id: 7, title: 'Buy oat milk', done: true }));
    const { props, user } = setup();
    const box = screen.getByRole('checkbox', { name: 'Buy oat milk' });

    await user.click(box);
    expect(mocked.completeTask).toHaveBeenCalledWith(7);
    expect(box).toBeChecked();
    expect(props.onChanged).toHaveBeenCalledWith(expect.objectContaining({ id: 7, done: true }));

    mocked.reopenTask.mockResolvedValue(makeTask({ id: 7, title: 'Buy oat milk', done: false }));
    await user.click(box);
    expect(mocked.reopenTask).toHaveBeenCalledWith(7);
    expect(box).not.toBeChecked();
  });

  it('reverts the checkbox and reports the error when the API fails', async () => {
    mocked.completeTask.mockRejectedValue(new api.ApiError(500, 'boom'));
    const { props, user } = setup();
    const box = screen.getByRole('checkbox', { name: 'Buy oat milk' });
    await user.click(box);
    expect(props.onError).toHaveBeenCalledWith(expect.objectContaining({ message: 'boom' }));
    expect(box).not.toBeChecked();
  });

  it('edits the title and description', async () => {
    mocked.updateTask.mockResolvedValue(makeTask({ id: 7, title: 'Buy soy milk', description: 'one' }));
    const { props, user } = setup();
    await user.click(screen.getByRole('button', { name: 'Edit task: Buy oat milk' }));

    const title = screen.getByLabelText('Title');
    expect(title).toHaveFocus();
    await user.clear(title);
    await user.type(title, 'Buy soy milk');
    await user.clear(screen.getByLabelText('Description'));
    await user.type(screen.getByLabelText('Description'), 'one');
    await user.click(screen.getByRole('button', { name: 'Save' }));

    expect(mocked.updateTask).toHaveBeenCalledWith(7, { title: 'Buy soy milk', description: 'one' });
    expect(props.onChanged).toHaveBeenCalledWith(expect.objectContaining({ title: 'Buy soy milk' }));
    expect(screen.getByRole('button', { name: 'Edit task: Buy oat milk' })).toHaveFocus();
  });

  it('validates the edited title and shows 422 messages by the field', async () => {
    const { user } = setup();
    await user.click(screen.getByRole('button', { name: /Edit/ }));
    await user.clear(screen.getByLabelText('Title'));
    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect(screen.getByLabelText('Title')).toHaveAccessibleDescription('The title can’t be empty.');
    expect(mocked.updateTask).not.toHaveBeenCalled();

    mocked.updateTask.mockRejectedValue(
      api.parseErrorBody(422, { detail: [{ loc: ['body', 'title'], msg: 'String should have at most 200 characters' }] }),
    );
    await user.type(screen.getByLabelText('Title'), 'x'.repeat(5));
    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect(await screen.findByText('String should have at most 200 characters')).toBeInTheDocument();
  });

  it('cancels editing with Escape', async () => {
    const { user } = setup();
    await user.click(screen.getByRole('button', { name: /Edit/ }));
    await user.keyboard('{Escape}');
    expect(screen.queryByLabelText('Title')).not.toBeInTheDocument();
    expect(mocked.updateTask).not.toHaveBeenCalled();
  });

  it('deletes through the API client', async () => {
    mocked.deleteTask.mockResolvedValue(undefined);
    const { props, user } = setup();
    await user.click(screen.getByRole('button', { name: 'Delete task: Buy oat milk' }));
    expect(mocked.deleteTask).toHaveBeenCalledWith(7);
    expect(props.onDeleted).toHaveBeenCalledWith(expect.objectContaining({ id: 7 }));
    expect(props.announce).toHaveBeenCalledWith('Deleted “Buy oat milk”.');
  });
});
