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
  /* A fixed size and strict containment: rows changing as it scrolls lay out nothing outside. */
  .log-body {
    font: 12.5px/20px var(--mono);
    height: 420px;
    overflow: auto;
    overflow-anchor: none;
    contain: strict;
  }
  .log-body:focus-visible {
    outline-offset: -2px;
  }
  /* Rows are windowed: the spacer is as tall as the log, the rows sit where they belong. */
  .log-spacer {
    position: relative;
    min-width: 100%;
  }
  .log-rows {
    position: absolute;
    top: 0;
    left: 0;
    min-width: 100%;
    width: max-content;
    will-change: transform;
  }
  .log-line {
    display: flex;
    gap: 10px;
    padding: 0 12px;
    height: 20px;
    line-height: 20px;
    white-space: pre;
    overflow: hidden;
  }
  .log-seq {
    flex: none;
    min-width: var(--seq-ch, 4ch);
    text-align: right;
    color: var(--log-muted);
    user-select: none;
  }
  .log-text {
    min-width: 0;
  }
  .log-pending .log-text {
    color: var(--log-muted);
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
    margin-top: 1.5px;
    line-height: 17px;
  }
  .ansi-bold {
    font-weight: 700;
  }
  .ansi-fg-0 {
    color: #5c6773;
  }
  .ansi-fg-1 {
    color: #f0716d;
  }
  .ansi-fg-2 {
    color: #6fcf7f;
  }
  .ansi-fg-3 {
    color: #e6c15a;
  }
  .ansi-fg-4 {
    color: #6ea8fe;
  }
  .ansi-fg-5 {
    color: #d08cf0;
  }
  .ansi-fg-6 {
    color: #5fd0d8;
  }
  .ansi-fg-7 {
    color: #d7dee7;
  }
  .ansi-fg-8 {
    color: #8793a1;
  }
  .ansi-fg-9 {
    color: #ff9a96;
  }
  .ansi-fg-10 {
    color: #98f0a6;
  }
  .ansi-fg-11 {
    color: #ffe08a;
  }
  .ansi-fg-12 {
    color: #a3c8ff;
  }
  .ansi-fg-13 {
    color: #ebb6ff;
  }
  .ansi-fg-14 {
    color: #94f0f5;
  }
  .ansi-fg-15 {
    color: #ffffff;
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
  .log-empty {
    margin: 0;
    padding: 4px 12px;
    color: var(--log-muted);
  }
  .timeline-toggle {
    font: inherit;
    color: var(--primary);
    background: none;
    border: 0;
    padding: 2px 4px;
    border-radius: 5px;
    cursor: pointer;
    text-decoration: underline dotted;
    text-underline-offset: 3px;
  }
  .timeline-toggle[aria-expanded='true'] {
    background: var(--primary-soft);
  }
  .timeline-row td {
    padding: 4px 14px 12px;
    background: var(--surface-2);
  }
  .timeline {
    list-style: none;
    margin: 0;
    padding: 0;
    display: grid;
    gap: 3px;
    max-width: 720px;
  }
  .phase {
    display: grid;
    grid-template-columns: 96px 1fr 64px;
    align-items: center;
    gap: 8px;
    font-size: 12px;
  }
  .phase-track {
    display: block;
    height: 10px;
  }
  .phase-bar {
    display: block;
    height: 100%;
    border-radius: 3px;
    background: var(--primary);
  }
  .phase[data-running='true'] .phase-bar {
    opacity: 0.55;
  }
  .phase-time {
    text-align: right;
  }
  .log-jump {
    position: absolute;
    right: 14px;
    bottom: 12px;
    box-shadow: var(--shadow-lg);
  }
`;
