/** The one HTML page. It holds no data: the script builds every view from the API. */
export const SHELL_HTML = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta name="color-scheme" content="light dark" />
    <title>Berth</title>
    <link rel="icon" type="image/svg+xml" href="/assets/favicon.svg" />
    <link rel="stylesheet" href="/assets/app.css" />
    <script type="module" src="/assets/app.js"></script>
  </head>
  <body>
    <div id="app" aria-busy="true">
      <noscript>The Berth dashboard needs JavaScript. The HTTP API works without it.</noscript>
    </div>
  </body>
</html>
`;

export const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="8" fill="#2f5bea"/><path d="M7 19h18l-3 6H10z" fill="#fff"/><path d="M15 6h2v11h-2z" fill="#fff"/><path d="M17 7l6 8h-6z" fill="#c7d4ff"/></svg>
`;
