// Colours (light and dark), type and the reset every view relies on.
const css = String.raw;

export const THEME_CSS = css`
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
`;
