/**
 * Which apps are worth a screenshot: those whose root page answers HTML. Asked of the app's
 * direct (loopback) address, with a short deadline.
 */
export async function servesHtml(directUrl: string, timeoutMs = 3_000): Promise<boolean> {
  try {
    const response = await fetch(directUrl, {
      headers: { accept: "text/html" },
      signal: AbortSignal.timeout(timeoutMs),
      redirect: "follow",
    });
    await response.body?.cancel();
    return response.ok && /text\/html|application\/xhtml/i.test(response.headers.get("content-type") ?? "");
  } catch {
    return false;
  }
}
