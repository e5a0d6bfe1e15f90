'use client';

import { FormEvent, useId, useRef, useState } from 'react';
import { ApiError, Task, createTask } from '@/lib/api';

export const MAX_TITLE_LENGTH = 200;

export interface AddTaskFormProps {
  onAdded: (task: Task) => void;
  onError: (error: unknown) => void;
}

export function AddTaskForm({ onAdded, onError }: AddTaskFormProps) {
  const id = useId();
  const titleRef = useRef<HTMLInputElement>(null);
  const [title, setTitle] = useState('');
  const [description, setDescription] = useState('');
  const [showDescription, setShowDescription] = useState(false);
  const [errors, setErrors] = useState<{ title?: string; description?: string }>({});
  const [pending, setPending] = useState(false);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (pending) return;
    const trimmed = title.trim();
    if (!trimmed) {
      setErrors({ title: 'Give the task a title.' });
      titleRef.current?.focus();
      return;
    }
    if (trimmed.length > MAX_TITLE_LENGTH) {
      setErrors({ title: `Keep the title under ${MAX_TITLE_LENGTH + 1} characters.` });
      titleRef.current?.focus();
      return;
    }
    setErrors({});
    setPending(true);
    try {
      const desc = description.trim();
      const task = await createTask(desc ? { title: trimmed, description: desc } : { title: trimmed });
      setTitle('');
      setDescription('');
      onAdded(task);
    } catch (err) {
      if (err instanceof ApiError && (err.fieldErrors.title || err.fieldErrors.description)) {
        setErrors({ title: err.fieldErrors.title, description: err.fieldErrors.description });
      } else {
        onError(err);
      }
    } finally {
      setPending(false);
      titleRef.current?.focus();
    }
  }

  return (
    <form className="add-task" onSubmit={onSubmit} noValidate aria-busy={pending} data-testid="add-task-form">
      <div className="field">
        <label htmlFor={`${id}-title`}>New task</label>
        <div className="input-row">
          <input
            ref={titleRef}
            id={`${id}-title`}
            name="title"
            autoComplete="off"
            placeholder="What needs doing?"
            value={title}
            onChange={(e) => setTitle(e.target.value)}
            aria-invalid={errors.title ? true : undefined}
            aria-describedby={errors.title ? `${id}-title-error` : undefined}
            data-testid="new-task-title"
          />
          <button type="submit" className="button button-primary" disabled={pending} data-testid="add-task-submit">
            Add
          </button>
        </div>
        {errors.title && (
          <p id={`${id}-title-error`} className="field-error">
            {errors.title}
          </p>
        )}
      </div>
      {showDescription ? (
        <div className="field">
          <label htmlFor={`${id}-description`}>Description (optional)</label>
          <textarea
            id={`${id}-description`}
            name="description"
            rows={2}
            autoFocus
            value={description}
            onChange={(e) => setDescription(e.target.value)}
            aria-invalid={errors.description ? true : undefined}
            aria-describedby={errors.description ? `${id}-description-error` : undefined}
            data-testid="new-task-description"
          />
          {errors.description && (
            <p id={`${id}-description-error`} className="field-error">
              {errors.description}
            </p>
          )}
        </div>
      ) : (
        <button type="button" className="link-button" onClick={() => setShowDescription(true)} aria-expanded={false}>
          Include a description
        </button>
      )}
    </form>
  );
}
