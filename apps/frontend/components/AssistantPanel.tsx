'use client';

import { FormEvent, useEffect, useId, useRef, useState } from 'react';
import { ApiError, chat } from '@/lib/api';

interface Message {
  id: number;
  role: 'user' | 'assistant' | 'error';
  text: string;
  actions?: string[];
}

export interface AssistantPanelProps {
  /** Called after every successful reply, so the task list can reload whatever the assistant changed. */
  onActed: (actions: unknown[]) => void;
  /** Called on 401 so the page can send the user back to log in. */
  onUnauthorized?: () => void;
}

/** A one-line, human-readable summary of an action the backend reports; shapes vary, so be lenient. */
export function describeAction(action: unknown): string {
  if (typeof action === 'string') return action;
  if (!action || typeof action !== 'object') return String(action);
  const a = action as Record<string, unknown>;
  const kind = [a.type, a.action, a.tool, a.name, a.kind].find((v) => typeof v === 'string') as string | undefined;
  const task = (a.task && typeof a.task === 'object' ? a.task : a) as Record<string, unknown>;
  const title = typeof task.title === 'string' ? task.title : undefined;
  const label = (kind ?? 'action').replace(/[_-]+/g, ' ');
  return title ? `${label}: ${title}` : label;
}

export function AssistantPanel({ onActed, onUnauthorized }: AssistantPanelProps) {
  const id = useId();
  const inputRef = useRef<HTMLInputElement>(null);
  const logRef = useRef<HTMLOListElement>(null);
  const nextId = useRef(1);
  const [message, setMessage] = useState('');
  const [messages, setMessages] = useState<Message[]>([]);
  const [pending, setPending] = useState(false);
  const [inputError, setInputError] = useState('');

  useEffect(() => {
    const log = logRef.current;
    if (log) log.scrollTop = log.scrollHeight;
  }, [messages, pending]);

  const push = (m: Omit<Message, 'id'>) => setMessages((prev) => [...prev, { ...m, id: nextId.current++ }]);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (pending) return;
    const text = message.trim();
    if (!text) {
      setInputError('Type a question or an instruction first.');
      inputRef.current?.focus();
      return;
    }
    setInputError('');
    push({ role: 'user', text });
    setMessage('');
    setPending(true);
    try {
      const result = await chat(text);
      push({ role: 'assistant', text: result.reply || '(no reply)', actions: result.actions.map(describeAction) });
      onActed(result.actions);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401 && onUnauthorized) {
        onUnauthorized();
        return;
      }
      push({ role: 'error', text: err instanceof ApiError ? err.message : 'The assistant could not answer. Please try again.' });
    } finally {
      setPending(false);
      inputRef.current?.focus();
    }
  }

  return (
    <section className="card assistant" aria-labelledby={`${id}-heading`} data-testid="assistant-panel">
      <h2 id={`${id}-heading`}>Assistant</h2>
      <p className="muted">Ask about your tasks, or tell it what to add, finish or tidy up.</p>
      <ol className="chat-log" ref={logRef} role="log" aria-live="polite" aria-label="Conversation" data-testid="assistant-log">
        {messages.map((m) => (
          <li key={m.id} className={`chat-message chat-${m.role}`} data-testid={`assistant-message-${m.role}`}>
            <span className="visually-hidden">{m.role === 'user' ? 'You: ' : m.role === 'assistant' ? 'Assistant: ' : 'Error: '}</span>
            <p>{m.text}</p>
            {m.actions && m.actions.length > 0 && (
              <ul className="chat-actions" aria-label="What the assistant did">
                {m.actions.map((a, i) => (
                  <li key={i}>{a}</li>
                ))}
              </ul>
            )}
          </li>
        ))}
        {pending && (
          <li className="chat-message chat-pending" data-testid="assistant-pending">
            <p>Thinking…</p>
          </li>
        )}
      </ol>
      <form className="chat-form" onSubmit={onSubmit} noValidate aria-busy={pending}>
        <label htmlFor={`${id}-input`}>Ask the assistant</label>
        <div className="input-row">
          <input
            ref={inputRef}
            id={`${id}-input`}
            autoComplete="off"
            placeholder="e.g. add “call the plumber”"
            value={message}
            onChange={(e) => setMessage(e.target.value)}
            aria-invalid={inputError ? true : undefined}
            aria-describedby={inputError ? `${id}-input-error` : undefined}
            data-testid="assistant-input"
          />
          <button type="submit" className="button button-primary" disabled={pending} data-testid="assistant-send">
            Send
          </button>
        </div>
        {inputError && (
          <p id={`${id}-input-error`} className="field-error">
            {inputError}
          </p>
        )}
      </form>
    </section>
  );
}
