import { html, SafeHtml } from "./html.ts";

export interface LayoutOptions {
  /** Which app renders the page ("web", "admin"); shown in the footer. */
  app: string;
  title: string;
  body: SafeHtml;
  nav?: SafeHtml;
  env?: NodeJS.ProcessEnv;
}

const styles = `
  body { font-family: system-ui, sans-serif; margin: 0; color: #1f2933; background: #f7f7f5; }
  header, main, footer { max-width: 56rem; margin: 0 auto; padding: 1rem 1.5rem; }
  header { display: flex; gap: 1.5rem; align-items: baseline; }
  header a { color: #1f2933; text-decoration: none; font-weight: 600; }
  footer { color: #6b7280; font-size: 0.85rem; border-top: 1px solid #e5e7eb; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: 0.4rem 0.6rem; border-bottom: 1px solid #e5e7eb; }
  button { font-size: 1rem; padding: 0.5rem 1.2rem; cursor: pointer; }
  .error { color: #b91c1c; font-weight: 600; }
`;

/**
 * Wraps a page in the shop's chrome. The footer names the app and the commit it was built from,
 * so a browser test can tell which branch's code answered.
 */
export function layout({ app, title, body, nav, env = process.env }: LayoutOptions): SafeHtml {
  const commit = env.PREVIEW_COMMIT?.slice(0, 7);
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title} · shop</title>
        <style>
          ${new SafeHtml(styles)}
        </style>
      </head>
      <body>
        <header>${nav}</header>
        <main>${body}</main>
        <footer
          id="build"
          data-app="${app}"
          data-commit="${commit ?? ""}"
          data-ref="${env.PREVIEW_REF ?? ""}"
        >
          shop ${app}${env.PREVIEW_REF ? ` · ${env.PREVIEW_REF}` : ""}${commit ? ` @ ${commit}` : ""}
        </footer>
      </body>
    </html> `;
}

export interface ErrorPageOptions {
  app: string;
  status: number;
  message: string;
  nav?: SafeHtml;
}

export function errorPage({ app, status, message, nav }: ErrorPageOptions): SafeHtml {
  const title = status === 404 ? "Not found" : "Something went wrong";
  const body = html`<h1 id="error-title">${title}</h1>
    <p id="error" class="error" role="alert" data-status="${status}">${message}</p>`;
  return layout({ app, title, body, nav });
}
