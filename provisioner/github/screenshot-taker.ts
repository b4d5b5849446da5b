/**
 * How the PR comment gets screenshots: the composition root wires this to the DevTools bridge's
 * screenshot API; until then (or when it fails) apps simply show no screenshot.
 */
export interface ScreenshotTaker {
  /** A public link to a fresh PNG of the app's root page, or undefined when none could be taken. */
  takeScreenshot(envId: string, app: string): Promise<{ url: string } | undefined>;
}

export const noScreenshots: ScreenshotTaker = {
  takeScreenshot: () => Promise.resolve(undefined),
};
