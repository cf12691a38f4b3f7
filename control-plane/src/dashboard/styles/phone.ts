// Phone width: stacked headers, and table rows as cards.
const css = String.raw;

export const PHONE_CSS = css`
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
    .timeline-row td {
      display: block;
      text-align: left;
    }
    .phase {
      grid-template-columns: 80px 1fr 52px;
    }
    .status-cell {
      align-items: flex-end;
    }
    .row-error {
      max-width: 220px;
    }
  }
`;
