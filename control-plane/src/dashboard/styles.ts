// The dashboard's one stylesheet. System fonts only: nothing is fetched from elsewhere.
const css = String.raw;

export const DASHBOARD_CSS = css`
  :root {
    color-scheme: light dark;
    --bg: #f5f6f8;
    --surface: #ffffff;
    --surface-2: #f9fafb;
    --border: #e2e5ea;
    --border-strong: #cfd4dc;
    --text: #17202b;
    --muted: #5d6877;
    --primary: #2f5bea;
    --primary-hover: #2449c9;
    --primary-soft: #eaf0ff;
    --focus: #2f5bea;
    --success: #17804a;
    --success-soft: #e4f5ec;
    --warning: #a65f00;
    --warning-soft: #fdf1dc;
    --danger: #c93434;
    --danger-soft: #fdeaea;
    --info: #2463c4;
    --info-soft: #e6efff;
    --neutral: #5d6877;
    --neutral-soft: #eef0f3;
    --log-bg: #0f151c;
    --log-text: #d7dee7;
    --log-muted: #6d7a89;
    --shadow: 0 1px 2px rgb(16 24 40 / 6%), 0 1px 3px rgb(16 24 40 / 8%);
    --shadow-lg: 0 20px 40px rgb(16 24 40 / 18%);
    --radius: 10px;
    --font: system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif;
    --mono: ui-monospace, 'SFMono-Regular', 'DejaVu Sans Mono', Menlo, Consolas, monospace;
  }
  @media (prefers-color-scheme: dark) {
    :root {
      --bg: #0e1217;
      --surface: #161b22;
      --surface-2: #1b2129;
      --border: #29313b;
      --border-strong: #38424e;
      --text: #e6ebf1;
      --muted: #97a3b2;
      --primary: #5b82ff;
      --primary-hover: #7798ff;
      --primary-soft: #1b2747;
      --success: #4cc486;
      --success-soft: #15301f;
      --warning: #e7a740;
      --warning-soft: #33260f;
      --danger: #f06d6d;
      --danger-soft: #3a1b1b;
      --info: #78a6ff;
      --info-soft: #18264a;
      --neutral: #a4afbd;
      --neutral-soft: #232a33;
      --log-bg: #0a0e13;
    }
  }

  *,
  *::before,
  *::after {
    box-sizing: border-box;
  }
  html {
    -webkit-text-size-adjust: 100%;
  }
  body {
    margin: 0;
    background: var(--bg);
    color: var(--text);
    font: 14px/1.5 var(--font);
  }
  a {
    color: var(--primary);
    text-decoration: none;
  }
  a:hover {
    text-decoration: underline;
  }
  :focus-visible {
    outline: 2px solid var(--focus);
    outline-offset: 2px;
    border-radius: 4px;
  }
  code,
  .mono {
    font-family: var(--mono);
    font-size: 12.5px;
  }
  .muted {
    color: var(--muted);
  }
  .strong {
    font-weight: 600;
  }
  .warn {
    color: var(--warning);
  }
  [hidden] {
    display: none !important;
  }
  .visually-hidden {
    position: absolute !important;
    width: 1px;
    height: 1px;
    overflow: hidden;
    clip: rect(0 0 0 0);
    white-space: nowrap;
  }
  .skip-link {
    position: absolute;
    left: 8px;
    top: -40px;
    z-index: 20;
    padding: 8px 12px;
    background: var(--surface);
    border-radius: 6px;
    box-shadow: var(--shadow);
  }
  .skip-link:focus {
    top: 8px;
  }

  /* ---------- top bar ---------- */
  .topbar {
    background: var(--surface);
    border-bottom: 1px solid var(--border);
    position: sticky;
    top: 0;
    z-index: 5;
  }
  .topbar-inner {
    max-width: 1160px;
    margin: 0 auto;
    padding: 0 24px;
    height: 56px;
    display: flex;
    align-items: center;
    gap: 24px;
  }
  .brand {
    display: inline-flex;
    align-items: center;
    gap: 8px;
    font-weight: 700;
    font-size: 16px;
    color: var(--text);
    letter-spacing: -0.01em;
  }
  .brand:hover {
    text-decoration: none;
  }
  .brand-mark {
    width: 22px;
    height: 22px;
    border-radius: 6px;
    background:
      linear-gradient(180deg, transparent 55%, #fff 55%, #fff 70%, transparent 70%) center / 60%
        100% no-repeat,
      linear-gradient(135deg, #4a74ff, #2f5bea);
  }
  .brand-large {
    font-size: 20px;
  }
  .brand-large .brand-mark {
    width: 28px;
    height: 28px;
  }
  .nav {
    display: flex;
    gap: 4px;
    flex: 1;
  }
  .nav-link {
    display: inline-flex;
    align-items: center;
    gap: 6px;
    padding: 6px 10px;
    border-radius: 6px;
    color: var(--muted);
    font-weight: 500;
  }
  .nav-link:hover {
    background: var(--neutral-soft);
    color: var(--text);
    text-decoration: none;
  }
  .nav-link[aria-current='page'] {
    color: var(--text);
    background: var(--neutral-soft);
  }

  /* ---------- page ---------- */
  .main {
    max-width: 1160px;
    margin: 0 auto;
    padding: 20px 24px 64px;
  }
  .main:focus {
    outline: none;
  }
  .page-narrow {
    max-width: 860px;
  }
  .stack {
    display: flex;
    flex-direction: column;
    gap: 16px;
  }
  .page > * + * {
    margin-top: 16px;
  }
  .page-header {
    display: flex;
    align-items: flex-start;
    justify-content: space-between;
    gap: 16px;
    flex-wrap: wrap;
  }
  .page-title {
    margin: 0;
    font-size: 22px;
    line-height: 1.25;
    letter-spacing: -0.01em;
    overflow-wrap: anywhere;
  }
  h2.page-title {
    font-size: 18px;
  }
  .page-description {
    margin: 4px 0 0;
    color: var(--muted);
    overflow-wrap: anywhere;
  }
  .page-actions {
    display: flex;
    gap: 8px;
    flex-wrap: wrap;
  }
  .action-group {
    display: flex;
    gap: 8px;
    flex-wrap: wrap;
  }
  .loading {
    color: var(--muted);
  }
  .load-error,
  .form-error {
    border: 1px solid var(--danger);
    background: var(--danger-soft);
    color: var(--text);
    border-radius: 8px;
    padding: 10px 14px;
  }
  .form-error ul {
    margin: 6px 0 0;
    padding-left: 18px;
  }
  .breadcrumb-nav {
    font-size: 13px;
  }
  .breadcrumb {
    list-style: none;
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 4px;
    margin: 0;
    padding: 0;
    color: var(--muted);
  }
  .breadcrumb li {
    display: inline-flex;
    align-items: center;
    gap: 4px;
    overflow-wrap: anywhere;
  }
  .breadcrumb [aria-current='page'] {
    color: var(--text);
    font-weight: 500;
  }
  .breadcrumb .icon {
    color: var(--border-strong);
  }

  /* ---------- cards, tiles, empty states ---------- */
  .card,
  .fieldset {
    background: var(--surface);
    border: 1px solid var(--border);
    border-radius: var(--radius);
    padding: 18px 20px;
    box-shadow: var(--shadow);
  }
  .card-title {
    margin: 0 0 12px;
    font-size: 15px;
  }
  .tiles {
    list-style: none;
    margin: 0;
    padding: 0;
    display: grid;
    grid-template-columns: repeat(auto-fill, minmax(260px, 1fr));
    gap: 12px;
  }
  .tile {
    display: flex;
    align-items: center;
    gap: 12px;
    padding: 14px 16px;
    background: var(--surface);
    border: 1px solid var(--border);
    border-radius: var(--radius);
    box-shadow: var(--shadow);
    color: var(--text);
  }
  .tile:hover {
    border-color: var(--primary);
    text-decoration: none;
  }
  .tile > .icon:first-child {
    color: var(--primary);
    flex: none;
  }
  .tile > .icon:last-child {
    color: var(--muted);
    flex: none;
  }
  .tile-title {
    flex: 1;
    font-weight: 600;
    min-width: 0;
    overflow-wrap: anywhere;
    display: flex;
    flex-direction: column;
  }
  .tile-meta {
    display: inline-flex;
    align-items: center;
    gap: 4px;
    font-weight: 400;
    color: var(--muted);
    font-size: 13px;
  }
  .empty {
    text-align: center;
    padding: 36px 20px;
    background: var(--surface);
    border: 1px dashed var(--border-strong);
    border-radius: var(--radius);
  }
  .empty-title {
    margin: 0 0 4px;
    font-weight: 600;
    font-size: 15px;
  }
  .empty-detail {
    margin: 0 0 12px;
    color: var(--muted);
  }
  .facts {
    display: grid;
    grid-template-columns: max-content 1fr;
    gap: 4px 16px;
    margin: 0;
  }
  .facts dt {
    color: var(--muted);
  }
  .facts dd {
    margin: 0;
    overflow-wrap: anywhere;
  }

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
  .badge-building {
    background: var(--warning-soft);
    color: var(--warning);
  }
  .badge-deploying,
  .badge-queued {
    background: var(--info-soft);
    color: var(--info);
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

  /* ---------- service page ---------- */
  .service-header {
    display: flex;
    flex-direction: column;
    gap: 2px;
  }
  .service-title {
    display: flex;
    align-items: center;
    gap: 12px;
    flex-wrap: wrap;
  }
  .tabs {
    display: flex;
    gap: 4px;
    border-bottom: 1px solid var(--border);
    overflow-x: auto;
  }
  .tab {
    padding: 10px 14px;
    color: var(--muted);
    font-weight: 500;
    border-bottom: 2px solid transparent;
    margin-bottom: -1px;
    white-space: nowrap;
  }
  .tab:hover {
    color: var(--text);
    text-decoration: none;
  }
  .tab-selected {
    color: var(--text);
    border-bottom-color: var(--primary);
  }
  .tab-panel > section > * + * {
    margin-top: 16px;
  }
  .tab-panel {
    padding-top: 4px;
  }

  /* ---------- tables ---------- */
  .table-wrap {
    background: var(--surface);
    border: 1px solid var(--border);
    border-radius: var(--radius);
    box-shadow: var(--shadow);
    overflow-x: auto;
  }
  .table {
    width: 100%;
    border-collapse: collapse;
  }
  .table th {
    text-align: left;
    font-size: 12px;
    font-weight: 600;
    color: var(--muted);
    padding: 10px 14px;
    background: var(--surface-2);
    border-bottom: 1px solid var(--border);
    white-space: nowrap;
  }
  .table td {
    padding: 10px 14px;
    border-bottom: 1px solid var(--border);
    vertical-align: middle;
  }
  .table tbody tr:last-child td {
    border-bottom: 0;
  }
  .table .number {
    font-weight: 600;
    font-variant-numeric: tabular-nums;
  }
  .table .numeric {
    font-variant-numeric: tabular-nums;
    white-space: nowrap;
  }
  .strong-link {
    font-weight: 600;
    overflow-wrap: anywhere;
  }
  .deployment-row.row-open td {
    border-bottom-color: transparent;
    background: var(--surface-2);
  }
  .status-cell {
    display: flex;
    flex-direction: column;
    align-items: flex-start;
  }
  .row-error {
    margin: 4px 0 0;
    font-size: 12px;
    color: var(--danger);
    max-width: 280px;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  .revision-value {
    display: inline-flex;
    align-items: center;
    gap: 2px;
  }
  .revision code {
    background: var(--neutral-soft);
    padding: 1px 6px;
    border-radius: 5px;
  }
  .row-actions-cell {
    text-align: right;
    width: 1%;
  }
  .row-buttons {
    display: inline-flex;
    gap: 2px;
    justify-content: flex-end;
  }
  .log-row td {
    padding: 0 14px 14px;
    background: var(--surface-2);
  }
  .log-title {
    margin: 0 0 8px;
    font-size: 13px;
    font-weight: 600;
  }

  /* ---------- logs ---------- */
  .log-view {
    position: relative;
    background: var(--log-bg);
    color: var(--log-text);
    border-radius: 8px;
    overflow: hidden;
  }
  .log-toolbar {
    display: flex;
    align-items: center;
    justify-content: space-between;
    gap: 8px;
    padding: 6px 8px 6px 12px;
    border-bottom: 1px solid rgb(255 255 255 / 8%);
    font-size: 12px;
    min-height: 40px;
  }
  .log-toolbar .btn {
    color: var(--log-text);
    border-color: rgb(255 255 255 / 16%);
    background: transparent;
  }
  .log-toolbar .btn:hover {
    background: rgb(255 255 255 / 8%);
  }
  .log-status {
    display: inline-flex;
    align-items: center;
    gap: 6px;
    color: var(--log-muted);
  }
  .log-status::before {
    content: '';
    width: 7px;
    height: 7px;
    border-radius: 50%;
    background: currentColor;
  }
  .log-status[data-kind='live'] {
    color: #4cc486;
  }
  .log-status[data-kind='error'] {
    color: #f0a35b;
  }
  .log-body {
    font: 12.5px/1.55 var(--mono);
    max-height: 420px;
    min-height: 120px;
    overflow: auto;
    padding: 8px 0;
  }
  .log-body:focus-visible {
    outline-offset: -2px;
  }
  .log-line {
    display: flex;
    gap: 10px;
    padding: 0 12px;
    white-space: pre-wrap;
    overflow-wrap: anywhere;
  }
  .log-seq {
    flex: none;
    min-width: 3.5ch;
    text-align: right;
    color: var(--log-muted);
    user-select: none;
  }
  .log-text {
    min-width: 0;
  }
  .log-tag {
    flex: none;
    font-size: 10.5px;
    font-weight: 700;
    text-transform: uppercase;
    letter-spacing: 0.04em;
    padding: 0 5px;
    border-radius: 4px;
    height: 17px;
    margin-top: 2px;
    line-height: 17px;
  }
  .log-stderr {
    background: rgb(240 80 80 / 10%);
    box-shadow: inset 3px 0 0 #e05d5d;
  }
  .log-stderr .log-text {
    color: #ffb3b3;
  }
  .log-stderr .log-tag {
    background: #5a2020;
    color: #ffc9c9;
  }
  .log-system .log-text {
    color: #9cc3ff;
  }
  .log-system .log-tag {
    background: #1d3560;
    color: #bcd5ff;
  }
  .log-empty,
  .log-trimmed {
    margin: 0;
    padding: 4px 12px;
    color: var(--log-muted);
  }
  .log-jump {
    position: absolute;
    right: 14px;
    bottom: 12px;
    box-shadow: var(--shadow-lg);
  }

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

  /* ---------- phone width ---------- */
  @media (max-width: 720px) {
    .topbar-inner {
      padding: 0 14px;
      gap: 10px;
    }
    .nav-link {
      padding: 6px 8px;
    }
    .topbar .btn-label {
      display: none;
    }
    .main {
      padding: 16px 14px 48px;
    }
    .page-header {
      flex-direction: column;
    }
    .page-actions,
    .action-group {
      width: 100%;
    }
    .action-group .btn {
      flex: 1;
    }
    .grid-2,
    .grid-3 {
      grid-template-columns: 1fr;
    }
    .row-port {
      grid-template-columns: 1fr 1fr 28px;
    }
    .row-head.row-port {
      display: none;
    }
    .row-port .input:nth-child(3) {
      grid-column: 1 / 3;
      grid-row: 2;
    }
    .table-wrap {
      background: transparent;
      border: 0;
      box-shadow: none;
      overflow: visible;
    }
    .table thead {
      display: none;
    }
    .table,
    .table tbody,
    .table tr,
    .table td {
      display: block;
      width: 100%;
    }
    .table tbody tr:not(.log-row) {
      background: var(--surface);
      border: 1px solid var(--border);
      border-radius: var(--radius);
      box-shadow: var(--shadow);
      padding: 6px 0;
      margin-bottom: 10px;
    }
    .table td {
      display: flex;
      justify-content: space-between;
      align-items: center;
      gap: 12px;
      border: 0;
      padding: 5px 14px;
      text-align: right;
    }
    .table td[data-label]::before {
      content: attr(data-label);
      color: var(--muted);
      font-size: 12px;
      text-align: left;
    }
    .table .row-actions-cell {
      width: 100%;
      justify-content: flex-end;
      border-top: 1px solid var(--border);
      margin-top: 4px;
      padding-top: 8px;
    }
    .row-buttons {
      flex-wrap: wrap;
    }
    .deployment-row.row-open td {
      background: transparent;
    }
    .table tr.log-row {
      margin: -6px 0 10px;
    }
    .log-row td {
      display: block;
      padding: 0;
      background: transparent;
      text-align: left;
    }
    .status-cell {
      align-items: flex-end;
    }
    .row-error {
      max-width: 220px;
    }
  }
`;
