import { useEffect, useId, useState, type InputHTMLAttributes, type ReactNode } from 'react';
import { messageOf } from '../api';

/** A status word as a coloured badge (colour is never the only signal: the word is there). */
export function Status({ value }: { value: string }) {
  return <span className={`badge s-${value}`}>{value}</span>;
}

/** An error in words, announced to screen readers. */
export function ErrorBox({ error }: { error: unknown }) {
  if (!error) return null;
  return (
    <div role="alert" className="alert">
      {messageOf(error)}
    </div>
  );
}

/** What to do when there is nothing yet. */
export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty card">
      <strong>{title}</strong>
      {children}
    </div>
  );
}

export function Loading({ what = 'Loading' }: { what?: string }) {
  return (
    <p role="status" aria-live="polite" className="muted">
      {what}…
    </p>
  );
}

/** A labelled form field; the label is tied to the control by id. */
export function Field({
  label,
  hint,
  children,
}: {
  label: string;
  hint?: string;
  children: (id: string) => ReactNode;
}) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>
        {label} {hint ? <span className="hint">({hint})</span> : null}
      </label>
      {children(id)}
    </div>
  );
}

/** Copy a value to the clipboard and say so. */
export function CopyButton({ value, label = 'Copy' }: { value: string; label?: string }) {
  const [done, setDone] = useState(false);
  useEffect(() => {
    if (!done) return;
    const t = setTimeout(() => setDone(false), 2000);
    return () => clearTimeout(t);
  }, [done]);
  return (
    <button
      type="button"
      onClick={() => {
        void navigator.clipboard?.writeText(value).then(
          () => setDone(true),
          () => setDone(false),
        );
      }}
    >
      {done ? 'Copied' : label}
      <span className="skip" aria-live="polite">
        {done ? 'copied to the clipboard' : ''}
      </span>
    </button>
  );
}

/** Small inline SVG sparkline of values 0–1 (pass rates); null points are gaps. */
export function Sparkline({ values, label }: { values: (number | null)[]; label: string }) {
  const w = 120;
  const h = 28;
  if (values.length === 0) return <span className="muted small">no finished runs</span>;
  const step = values.length > 1 ? w / (values.length - 1) : 0;
  const pts = values
    .map((v, i) =>
      v === null ? null : `${(i * step).toFixed(1)},${(h - 2 - v * (h - 4)).toFixed(1)}`,
    )
    .filter((p): p is string => p !== null);
  return (
    <svg
      className="spark"
      width={w}
      height={h}
      viewBox={`0 0 ${w} ${h}`}
      role="img"
      aria-label={label}
    >
      <polyline points={pts.join(' ')} fill="none" stroke="var(--accent)" strokeWidth="2" />
    </svg>
  );
}

export const fmtMs = (ms: number | null | undefined): string =>
  ms === null || ms === undefined
    ? '—'
    : ms < 1000
      ? `${Math.round(ms)} ms`
      : ms < 60_000
        ? `${(ms / 1000).toFixed(1)} s`
        : `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;

export const fmtTime = (iso: string | null | undefined): string =>
  iso ? new Date(iso).toLocaleString() : '—';

export function usePageTitle(title: string) {
  useEffect(() => {
    document.title = `${title} · Greenlight`;
  }, [title]);
}

/**
 * A destructive action that asks first, inline (no browser dialog): the first press shows the
 * question with "Yes" and "Keep" buttons, focus on "Keep".
 */
export function ConfirmButton({
  label,
  question,
  confirmLabel,
  onConfirm,
  disabled,
}: {
  label: string;
  question: string;
  confirmLabel: string;
  onConfirm: () => void;
  disabled?: boolean;
}) {
  const [asking, setAsking] = useState(false);
  if (!asking) {
    return (
      <button type="button" className="danger" disabled={disabled} onClick={() => setAsking(true)}>
        {label}
      </button>
    );
  }
  return (
    <span role="group" aria-label={question} className="row">
      <span className="small">{question}</span>
      <button
        type="button"
        className="danger"
        onClick={() => {
          setAsking(false);
          onConfirm();
        }}
      >
        {confirmLabel}
      </button>
      <button type="button" autoFocus onClick={() => setAsking(false)}>
        Keep
      </button>
    </span>
  );
}

/** A column heading: its text, hidden on narrow screens, or for screen readers only. */
export type Column = string | { label: string; hideSm?: boolean; srOnly?: boolean };

/** A scrollable table with a caption for screen readers and column headings; rows as children. */
export function DataTable({
  caption,
  head,
  children,
}: {
  caption: string;
  head: Column[];
  children: ReactNode;
}) {
  return (
    <div className="table-wrap">
      <table>
        <caption className="skip">{caption}</caption>
        <thead>
          <tr>
            {head.map((c) => {
              const col = typeof c === 'string' ? { label: c } : c;
              return (
                <th key={col.label} scope="col" className={col.hideSm ? 'hide-sm' : undefined}>
                  {col.srOnly ? <span className="skip">{col.label}</span> : col.label}
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}

/** A labelled text input (Field + input) whose value is a string. */
export function TextInput({
  label,
  hint,
  value,
  onChange,
  ...rest
}: {
  label: string;
  hint?: string;
  value: string | number;
  onChange: (value: string) => void;
} & Omit<InputHTMLAttributes<HTMLInputElement>, 'value' | 'onChange' | 'id'>) {
  return (
    <Field label={label} {...(hint ? { hint } : {})}>
      {(id) => <input id={id} value={value} onChange={(e) => onChange(e.target.value)} {...rest} />}
    </Field>
  );
}
