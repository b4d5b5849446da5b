/** The page that asks for the token once, before the dashboard: a plain form POST, no script. */

export function loginPage(options: { error?: string } = {}): string {
  const error = options.error
    ? `<p class="login-error" role="alert" id="login-error">${escapeHtml(options.error)}</p>`
    : "";
  const described = options.error ? ' aria-describedby="login-error" aria-invalid="true"' : "";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>previewd · sign in</title>
<link rel="icon" href="/dashboard/assets/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/dashboard/assets/base.css">
</head>
<body class="login">
<main class="login-card">
<h1>previewd</h1>
<p>This previewd needs its token (<code>PREVIEWD_TOKEN</code>). You enter it once: the browser then keeps a session cookie, never the token.</p>
${error}
<form method="post" action="/dashboard/session">
<label for="token">Token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus${described}>
<button type="submit">Open the dashboard</button>
</form>
</main>
</body>
</html>
`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
