import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { AuthForm, validateCredentials } from '@/components/AuthForm';
import * as api from '@/lib/api';

const replace = jest.fn();
jest.mock('next/navigation', () => ({ useRouter: () => ({ replace, push: jest.fn(), refresh: jest.fn() }) }));
jest.mock('@/lib/api', () => ({ ...jest.requireActual('@/lib/api'), signup: jest.fn(), login: jest.fn() }));
const signup = api.signup as jest.MockedFunction<typeof api.signup>;
const login = api.login as jest.MockedFunction<typeof api.login>;

async function fill(email: string, password: string) {
  const user = userEvent.setup();
  if (email) await user.type(screen.getByLabelText('Email'), email);
  if (password) await user.type(screen.getByLabelText('Password'), password);
  return user;
}

describe('validateCredentials', () => {
  it('requires a plausible email and, on sign up, a long enough password', () => {
    expect(validateCredentials('signup', '', '')).toEqual({ email: expect.any(String), password: expect.any(String) });
    expect(validateCredentials('signup', 'nope', 'short').email).toMatch(/valid email/);
    expect(validateCredentials('signup', 'a@b.co', 'short').password).toMatch(/at least 15/);
    expect(validateCredentials('login', 'a@b.co', 'short')).toEqual({});
  });
});

describe('AuthForm (sign up)', () => {
  it('shows field errors next to the fields and does not call the API', async () => {
    render(<AuthForm mode="signup" />);
    const user = await fill('not-an-email', 'abc');
    await user.click(screen.getByRole('button', { name: 'Sign up' }));

    const email = screen.getByLabelText('Email');
    expect(email).toHaveAttribute('aria-invalid', 'true');
    expect(email).toHaveAccessibleDescription(/valid email/);
    expect(email).toHaveFocus();
    expect(screen.getByLabelText('Password')).toHaveAccessibleDescription(/Use at least 15 characters/);
    expect(signup).not.toHaveBeenCalled();
  });

  it('signs up and goes to the task list', async () => {
    signup.mockResolvedValue({ id: 1, email: 'a@example.com' });
    render(<AuthForm mode="signup" />);
    const user = await fill(' a@example.com ', 'long enough passphrase');
    await user.click(screen.getByRole('button', { name: 'Sign up' }));

    expect(signup).toHaveBeenCalledWith({ email: 'a@example.com', password: 'long enough passphrase' });
    expect(replace).toHaveBeenCalledWith('/tasks');
  });

  it('puts 422 messages next to the matching field', async () => {
    signup.mockRejectedValue(
      api.parseErrorBody(422, { detail: [{ loc: ['body', 'password'], msg: 'password is too common', type: 'value_error' }] }),
    );
    render(<AuthForm mode="signup" />);
    const user = await fill('a@example.com', 'password12345678');
    await user.click(screen.getByRole('button', { name: 'Sign up' }));

    expect(await screen.findByText('password is too common')).toBeInTheDocument();
    expect(screen.getByLabelText('Password')).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByTestId('auth-error')).toHaveTextContent('');
    expect(replace).not.toHaveBeenCalled();
  });

  it('shows other errors (409) in the alert region', async () => {
    signup.mockRejectedValue(new api.ApiError(409, 'Email already registered'));
    render(<AuthForm mode="signup" />);
    const user = await fill('a@example.com', 'password12345678');
    await user.click(screen.getByRole('button', { name: 'Sign up' }));

    expect(await screen.findByRole('alert')).toHaveTextContent('Email already registered');
    expect(screen.getByRole('button', { name: 'Sign up' })).toBeEnabled();
  });
});

describe('AuthForm (log in)', () => {
  it('logs in and shows a 401 detail as an alert', async () => {
    login.mockRejectedValueOnce(new api.ApiError(401, 'Incorrect email or password'));
    login.mockResolvedValueOnce({ id: 1, email: 'a@example.com' });
    render(<AuthForm mode="login" />);
    const user = await fill('a@example.com', 'x');
    await user.click(screen.getByRole('button', { name: 'Log in' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('Incorrect email or password');

    await user.click(screen.getByRole('button', { name: 'Log in' }));
    expect(login).toHaveBeenLastCalledWith({ email: 'a@example.com', password: 'x' });
    expect(replace).toHaveBeenCalledWith('/tasks');
  });

  it('links to sign up', () => {
    render(<AuthForm mode="login" />);
    expect(screen.getByRole('link', { name: 'Create one' })).toHaveAttribute('href', '/signup');
  });
});
