// Forms, the dialog, toasts and the sign-in card.
const css = String.raw;

export const FORMS_CSS = css`
  /* ---------- forms ---------- */
  .field {
    display: flex;
    flex-direction: column;
    gap: 5px;
    min-width: 0;
  }
  .field label,
  .fieldset legend {
    font-weight: 600;
    font-size: 13px;
  }
  .fieldset {
    margin: 0;
    display: flex;
    flex-direction: column;
    gap: 12px;
  }
  .fieldset legend {
    float: left;
    font-size: 15px;
    padding: 0;
  }
  .fieldset legend + .hint {
    margin-top: -8px;
    clear: both;
  }
  .hint {
    margin: 0;
    color: var(--muted);
    font-size: 12.5px;
  }
  .input {
    height: 36px;
    width: 100%;
    padding: 0 10px;
    border-radius: 8px;
    border: 1px solid var(--border-strong);
    background: var(--surface);
    color: var(--text);
    font: inherit;
  }
  .input.mono {
    font-family: var(--mono);
  }
  .input:focus {
    outline: none;
    border-color: var(--primary);
    box-shadow: 0 0 0 3px var(--primary-soft);
  }
  .inline-form {
    display: flex;
    align-items: flex-end;
    gap: 12px;
    flex-wrap: wrap;
  }
  .inline-form .field {
    flex: 1 1 220px;
  }
  .grid-2,
  .grid-3 {
    display: grid;
    gap: 12px;
    grid-template-columns: repeat(2, minmax(0, 1fr));
  }
  .grid-3 {
    grid-template-columns: repeat(3, minmax(0, 1fr));
  }
  .choices {
    display: flex;
    gap: 8px;
    flex-wrap: wrap;
  }
  .choice {
    display: inline-flex;
    align-items: center;
    gap: 8px;
    padding: 7px 12px;
    border: 1px solid var(--border-strong);
    border-radius: 8px;
    cursor: pointer;
  }
  .choice:has(input:checked) {
    border-color: var(--primary);
    background: var(--primary-soft);
  }
  .rows {
    display: flex;
    flex-direction: column;
    gap: 8px;
  }
  .rows:empty {
    display: none;
  }
  .fieldset > .btn,
  .row-actions .btn {
    align-self: flex-start;
  }
  .rows:empty + .row-actions .reveal-all {
    display: none;
  }
  .row {
    display: grid;
    gap: 8px;
    align-items: center;
  }
  .row-port {
    grid-template-columns: 1fr 1fr 1.4fr 28px;
  }
  .row-env {
    grid-template-columns: 1fr 1.6fr 28px 28px;
  }
  .row-head {
    font-size: 12px;
    font-weight: 600;
    color: var(--muted);
    margin-bottom: -6px;
  }
  .row-head:has(+ .rows:empty) {
    display: none;
  }
  .row-actions {
    display: flex;
    gap: 8px;
    flex-wrap: wrap;
  }
  .form-actions {
    display: flex;
    align-items: center;
    justify-content: flex-end;
    gap: 12px;
    flex-wrap: wrap;
  }
  .form-actions .hint {
    flex: 1;
  }

  /* ---------- dialog ---------- */
  .dialog {
    width: min(480px, calc(100vw - 32px));
    padding: 20px;
    border: 1px solid var(--border);
    border-radius: 14px;
    background: var(--surface);
    color: var(--text);
    box-shadow: var(--shadow-lg);
  }
  .dialog::backdrop {
    background: rgb(12 17 24 / 45%);
  }
  .dialog-header {
    display: flex;
    align-items: center;
    justify-content: space-between;
    gap: 12px;
  }
  .dialog-title {
    margin: 0;
    font-size: 17px;
  }
  .dialog-description {
    margin: 6px 0 0;
    color: var(--muted);
  }
  .dialog-body {
    margin-top: 16px;
  }
  .dialog-actions {
    display: flex;
    justify-content: flex-end;
    gap: 8px;
    margin-top: 20px;
  }
  .options {
    display: flex;
    flex-direction: column;
    gap: 10px;
  }
  .option {
    display: flex;
    gap: 12px;
    align-items: flex-start;
    padding: 12px 14px;
    border: 1px solid var(--border-strong);
    border-radius: 10px;
    cursor: pointer;
  }
  .option input {
    margin: 3px 0 0;
    accent-color: var(--primary);
  }
  .option:has(input:checked) {
    border-color: var(--primary);
    background: var(--primary-soft);
    box-shadow: 0 0 0 1px var(--primary);
  }
  .option-text {
    display: flex;
    flex-direction: column;
    gap: 2px;
  }
  .option-title {
    font-weight: 600;
  }
  .option-detail {
    color: var(--muted);
    font-size: 13px;
  }
  .command {
    display: flex;
    align-items: flex-start;
    gap: 8px;
    background: var(--log-bg);
    color: var(--log-text);
    border-radius: 8px;
    padding: 10px 10px 10px 12px;
  }
  .command-text {
    flex: 1;
    white-space: pre-wrap;
    overflow-wrap: anywhere;
  }
  .command .icon-button {
    color: var(--log-text);
  }

  /* ---------- toasts ---------- */
  .toasts {
    position: fixed;
    right: 20px;
    bottom: 20px;
    z-index: 50;
    display: flex;
    flex-direction: column;
    gap: 8px;
    width: min(360px, calc(100vw - 32px));
  }
  .toast {
    display: flex;
    align-items: flex-start;
    gap: 10px;
    padding: 12px 10px 12px 14px;
    border-radius: 10px;
    background: var(--surface);
    border: 1px solid var(--border);
    border-left: 4px solid var(--success);
    box-shadow: var(--shadow-lg);
    animation: toast-in 0.16s ease-out;
  }
  .toast-info {
    border-left-color: var(--info);
  }
  .toast-warning {
    border-left-color: var(--warning);
  }
  .toast-error {
    border-left-color: var(--danger);
  }
  .toast-leaving {
    opacity: 0;
    transition: opacity 0.15s;
  }
  .toast-body {
    flex: 1;
    display: flex;
    flex-direction: column;
    gap: 2px;
    min-width: 0;
    overflow-wrap: anywhere;
  }
  .toast-detail {
    color: var(--muted);
    font-size: 13px;
  }
  @keyframes toast-in {
    from {
      transform: translateY(6px);
      opacity: 0;
    }
  }

  /* ---------- sign in ---------- */
  .sign-in {
    min-height: 100vh;
    display: grid;
    place-items: center;
    padding: 24px;
  }
  .sign-in-card {
    width: min(400px, 100%);
    background: var(--surface);
    border: 1px solid var(--border);
    border-radius: 14px;
    padding: 28px;
    box-shadow: var(--shadow-lg);
  }
  .sign-in-title {
    margin: 20px 0 0;
    font-size: 20px;
  }
  .sign-in-card form {
    margin-top: 20px;
  }
`;
