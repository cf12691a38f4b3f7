// The top bar, page layout, breadcrumbs, cards, tiles and empty states.
const css = String.raw;

export const LAYOUT_CSS = css`
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
`;
