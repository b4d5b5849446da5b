/** Command-line flags of an environment's headless Chromium. */
export interface ChromiumArgsOptions {
  userDataDir: string;
  /** Preview hosts `*.<baseDomain>` resolve to previewd's proxy on loopback. */
  baseDomain: string;
  /** Chromium refuses to run as root with its sandbox on. */
  root: boolean;
}

export function chromiumArgs(options: ChromiumArgsOptions): string[] {
  return [
    "--headless=new",
    `--user-data-dir=${options.userDataDir}`,
    // Port 0: Chromium picks a free loopback port and prints it on stderr.
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
    ...(options.root ? ["--no-sandbox"] : []),
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--no-default-browser-check",
    "--mute-audio",
    "--password-store=basic",
    "--use-mock-keychain",
    // Pages load by their public URLs: every preview host is previewd's proxy (the port is in the URL).
    `--host-resolver-rules=MAP *.${options.baseDomain} 127.0.0.1`,
    `--proxy-bypass-list=*.${options.baseDomain}`,
    "about:blank",
  ];
}
