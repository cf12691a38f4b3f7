// The service page: tabs, the deployment history table and the log viewer.
const css = String.raw;

export const SERVICE_CSS = css`
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
`;
