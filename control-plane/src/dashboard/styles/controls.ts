// Buttons and status badges.
const css = String.raw;

export const CONTROLS_CSS = css`
  /* ---------- buttons ---------- */
  .btn {
    display: inline-flex;
    align-items: center;
    justify-content: center;
    gap: 6px;
    height: 34px;
    padding: 0 14px;
    border-radius: 8px;
    border: 1px solid var(--border-strong);
    background: var(--surface);
    color: var(--text);
    font: inherit;
    font-weight: 500;
    cursor: pointer;
    white-space: nowrap;
    transition:
      background 0.12s,
      border-color 0.12s;
  }
  .btn:hover {
    background: var(--surface-2);
    border-color: var(--muted);
    text-decoration: none;
  }
  .btn:disabled {
    opacity: 0.6;
    cursor: progress;
  }
  .btn-primary {
    background: var(--primary);
    border-color: var(--primary);
    color: #fff;
  }
  .btn-primary:hover {
    background: var(--primary-hover);
    border-color: var(--primary-hover);
  }
  .btn-danger {
    color: var(--danger);
  }
  .btn-ghost {
    border-color: transparent;
    background: transparent;
  }
  .btn-ghost:hover {
    background: var(--neutral-soft);
    border-color: transparent;
  }
  .btn-small {
    height: 28px;
    padding: 0 8px;
    font-size: 13px;
  }
  .btn-block {
    width: 100%;
  }
  .icon-button {
    display: inline-flex;
    align-items: center;
    justify-content: center;
    width: 28px;
    height: 28px;
    padding: 0;
    border: 0;
    border-radius: 6px;
    background: transparent;
    color: var(--muted);
    cursor: pointer;
    flex: none;
  }
  .icon-button:hover {
    background: var(--neutral-soft);
    color: var(--text);
  }
  .icon-button[aria-pressed='true'] {
    color: var(--primary);
  }
  .copy-button.copied {
    color: var(--success);
  }
  .icon {
    flex: none;
  }

  /* ---------- toolbars (filters and paging above a table) ---------- */
  .toolbar {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 8px;
    margin-bottom: 12px;
  }
  .toolbar .input {
    width: auto;
  }

  /* ---------- badges ---------- */
  .badge {
    display: inline-flex;
    align-items: center;
    gap: 6px;
    padding: 2px 9px 2px 8px;
    border-radius: 999px;
    font-size: 12px;
    font-weight: 600;
    line-height: 18px;
    white-space: nowrap;
    background: var(--neutral-soft);
    color: var(--neutral);
  }
  .badge[hidden] {
    display: none;
  }
  .badge-dot {
    width: 7px;
    height: 7px;
    border-radius: 50%;
    background: currentColor;
  }
  .badge-succeeded,
  .badge-running,
  .badge-online {
    background: var(--success-soft);
    color: var(--success);
  }
  .badge-failed {
    background: var(--danger-soft);
    color: var(--danger);
  }
  .badge-building,
  .badge-reconnecting {
    background: var(--warning-soft);
    color: var(--warning);
  }
  .badge-deploying,
  .badge-queued {
    background: var(--info-soft);
    color: var(--info);
  }
  .badge-contact-lost {
    background: var(--warning-soft);
    color: var(--warning);
    margin-left: 6px;
  }
  .badge-building .badge-dot,
  .badge-deploying .badge-dot {
    animation: pulse 1.2s ease-in-out infinite;
  }
  @keyframes pulse {
    50% {
      opacity: 0.25;
    }
  }
  @media (prefers-reduced-motion: reduce) {
    .badge-dot {
      animation: none !important;
    }
  }
`;
