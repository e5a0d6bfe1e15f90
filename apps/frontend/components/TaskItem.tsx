'use client';

import { FormEvent, KeyboardEvent, useEffect, useId, useRef, useState } from 'react';
import { ApiError, Task, completeTask, deleteTask, reopenTask, updateTask } from '@/lib/api';

export interface TaskItemProps {
  task: Task;
  /** The server's version of the task after a change. */
  onChanged: (task: Task) => void;
  onDeleted: (task: Task) => void;
  onError: (error: unknown) => void;
  announce: (message: string) => void;
}

export function TaskItem({ task, onChanged, onDeleted, onError, announce }: TaskItemProps) {
  const id = useId();
  const [editing, setEditing] = useState(false);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState(task.done);
  const editButtonRef = useRef<HTMLButtonElement>(null);
  const restoreFocus = useRef(false);

  useEffect(() => setDone(task.done), [task.done]);

  useEffect(() => {
    if (!editing && restoreFocus.current) {
      restoreFocus.current = false;
      editButtonRef.current?.focus();
    }
  }, [editing]);

  async function toggle() {
    const next = !done;
    setDone(next); // optimistic; reverted on failure
    setBusy(true);
    try {
      const updated = next ? await completeTask(task.id) : await reopenTask(task.id);
      announce(next ? `Completed “${task.title}”.` : `Reopened “${task.title}”.`);
      onChanged({ ...task, ...updated, done: updated?.done ?? next });
    } catch (err) {
      setDone(!next);
      onError(err);
    } finally {
      setBusy(false);
    }
  }

  async function remove() {
    setBusy(true);
    try {
      await deleteTask(task.id);
      announce(`Deleted “${task.title}”.`);
      onDeleted(task);
    } catch (err) {
      setBusy(false);
      onError(err);
    }
  }

  if (editing) {
    return (
      <li className="task task-editing" data-testid="task-item" data-task-id={String(task.id)}>
        <TaskEditForm
          task={task}
          onCancel={() => {
            restoreFocus.current = true;
            setEditing(false);
          }}
          onSaved={(updated) => {
            announce(`Saved “${updated.title}”.`);
            restoreFocus.current = true;
            setEditing(false);
            onChanged(updated);
          }}
          onError={onError}
        />
      </li>
    );
  }

  const titleId = `${id}-title`;
  return (
    <li
      className={done ? 'task task-done' : 'task'}
      data-testid="task-item"
      data-task-id={String(task.id)}
      data-done={done ? 'true' : 'false'}
      aria-busy={busy || undefined}
    >
      <input
        id={`${id}-done`}
        className="task-check"
        type="checkbox"
        checked={done}
        onChange={toggle}
        disabled={busy}
        aria-labelledby={titleId}
        data-testid="task-checkbox"
      />
      <div className="task-body">
        <label htmlFor={`${id}-done`} id={titleId} className="task-title" data-testid="task-title">
          {task.title}
        </label>
        {task.description && (
          <p className="task-description" data-testid="task-description">
            {task.description}
          </p>
        )}
      </div>
      <div className="task-actions">
        <button
          ref={editButtonRef}
          type="button"
          className="button button-small"
          onClick={() => setEditing(true)}
          disabled={busy}
          aria-label={`Edit task: ${task.title}`}
          data-testid="task-edit"
        >
          Edit
        </button>
        <button
          type="button"
          className="button button-small button-danger"
          onClick={remove}
          disabled={busy}
          aria-label={`Delete task: ${task.title}`}
          data-testid="task-delete"
        >
          Delete
        </button>
      </div>
    </li>
  );
}

interface TaskEditFormProps {
  task: Task;
  onCancel: () => void;
  onSaved: (task: Task) => void;
  onError: (error: unknown) => void;
}

function TaskEditForm({ task, onCancel, onSaved, onError }: TaskEditFormProps) {
  const id = useId();
  const titleRef = useRef<HTMLInputElement>(null);
  const [title, setTitle] = useState(task.title);
  const [description, setDescription] = useState(task.description ?? '');
  const [errors, setErrors] = useState<{ title?: string; description?: string }>({});
  const [saving, setSaving] = useState(false);

  useEffect(() => {
    titleRef.current?.focus();
    titleRef.current?.select();
  }, []);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!title.trim()) {
      setErrors({ title: 'The title can’t be empty.' });
      titleRef.current?.focus();
      return;
    }
    setErrors({});
    setSaving(true);
    try {
      const updated = await updateTask(task.id, { title: title.trim(), description: description.trim() });
      onSaved({ ...task, ...updated });
    } catch (err) {
      setSaving(false);
      if (err instanceof ApiError && (err.fieldErrors.title || err.fieldErrors.description)) {
        setErrors({ title: err.fieldErrors.title, description: err.fieldErrors.description });
        titleRef.current?.focus();
      } else {
        onError(err);
      }
    }
  }

  function onKeyDown(event: KeyboardEvent<HTMLFormElement>) {
    if (event.key === 'Escape') {
      event.preventDefault();
      onCancel();
    }
  }

  return (
    <form className="task-edit" onSubmit={onSubmit} onKeyDown={onKeyDown} noValidate aria-label={`Edit task: ${task.title}`}>
      <div className="field">
        <label htmlFor={`${id}-title`}>Title</label>
        <input
          ref={titleRef}
          id={`${id}-title`}
          value={title}
          onChange={(e) => setTitle(e.target.value)}
          aria-invalid={errors.title ? true : undefined}
          aria-describedby={errors.title ? `${id}-title-error` : undefined}
          data-testid="task-edit-title"
        />
        {errors.title && (
          <p id={`${id}-title-error`} className="field-error">
            {errors.title}
          </p>
        )}
      </div>
      <div className="field">
        <label htmlFor={`${id}-description`}>Description</label>
        <textarea
          id={`${id}-description`}
          rows={3}
          value={description}
          onChange={(e) => setDescription(e.target.value)}
          aria-invalid={errors.description ? true : undefined}
          aria-describedby={errors.description ? `${id}-description-error` : undefined}
          data-testid="task-edit-description"
        />
        {errors.description && (
          <p id={`${id}-description-error`} className="field-error">
            {errors.description}
          </p>
        )}
      </div>
      <div className="row">
        <button type="submit" className="button button-primary button-small" disabled={saving}>
          Save
        </button>
        <button type="button" className="button button-small" onClick={onCancel} disabled={saving}>
          Cancel
        </button>
      </div>
    </form>
  );
}
