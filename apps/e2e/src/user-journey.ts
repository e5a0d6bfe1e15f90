/*
 * What a user does with the todo app, written once and run against any deployment:
 * processes on loopback here, the containers and the cluster's ingress elsewhere.
 */
import { Browser, Page, expect as pwExpect } from './page-expect';

export interface Credentials {
  email: string;
  password: string;
}

export function newUser(tag: string): Credentials {
  const id = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 7)}`;
  return { email: `${tag}-${id}@example.test`, password: `pw-${id}-amber-kite-Secret!` };
}

export async function signUp(page: Page, baseUrl: string, user: Credentials): Promise<void> {
  await page.goto(`${baseUrl}/signup`);
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password', { exact: true }).fill(user.password);
  await page.getByRole('button', { name: 'Sign up' }).click();
  await pwExpect(page.getByLabel('New task')).toBeVisible();
}

export async function addTask(page: Page, title: string): Promise<void> {
  await page.getByLabel('New task').fill(title);
  await page.getByRole('button', { name: 'Add', exact: true }).click();
  await pwExpect(page.getByRole('checkbox', { name: title })).toBeVisible();
}

export async function completeTask(page: Page, title: string): Promise<void> {
  await page.getByRole('checkbox', { name: title }).check();
  await pwExpect(page.getByRole('checkbox', { name: title })).toBeChecked();
}

export async function askAssistant(page: Page, message: string): Promise<void> {
  await page.getByLabel('Ask the assistant').fill(message);
  await page.getByRole('button', { name: 'Send' }).click();
}

/**
 * The journey the issue names: sign up, add three tasks, complete one, ask the assistant
 * to add one, reload, and see all of it still there. Returns the user and the titles.
 */
export async function firstUserJourney(browser: Browser, baseUrl: string) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const user = newUser('alice');
  const titles = ['Buy oat milk', 'Write the release notes', 'Book the dentist'];
  await signUp(page, baseUrl, user);
  for (const title of titles) await addTask(page, title);
  await completeTask(page, titles[1]);

  await askAssistant(page, 'add water the plants');
  await pwExpect(page.getByRole('checkbox', { name: /water the plants/i })).toBeVisible();

  await page.reload();
  for (const title of titles) await pwExpect(page.getByRole('checkbox', { name: title })).toBeVisible();
  await pwExpect(page.getByRole('checkbox', { name: /water the plants/i })).toBeVisible();
  await pwExpect(page.getByRole('checkbox', { name: titles[1] })).toBeChecked();
  await pwExpect(page.getByRole('checkbox', { name: titles[0] })).not.toBeChecked();
  await context.close();
  return { user, titles: [...titles, 'water the plants'] };
}

/** A second user signs up in a fresh browser context and must see none of the first user's tasks. */
export async function secondUserSeesNothing(browser: Browser, baseUrl: string, othersTitles: string[]) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signUp(page, baseUrl, newUser('bob'));
  for (const title of othersTitles) {
    await pwExpect(page.getByRole('checkbox', { name: new RegExp(title, 'i') })).toHaveCount(0);
  }
  // Prove the list really loaded (an empty list because of a broken page would also show no tasks).
  await addTask(page, 'Only mine');
  await page.reload();
  await pwExpect(page.getByRole('checkbox')).toHaveCount(1);
  await context.close();
}
