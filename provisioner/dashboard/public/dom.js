// @ts-check
/**
 * Building the page from data without markup strings: every text previewd shows (branch names,
 * log lines, error messages) goes in as a text node, so nothing an app or a PR writes runs here.
 */

/** @typedef {Node | string | number | null | undefined | false} Child */

/**
 * An element with attributes, `on<event>` listeners, and children.
 * `value` and `checked` are set as properties (what a form control shows); `false` and
 * `undefined` leave an attribute out.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, unknown>} [props]
 * @param {...(Child | Child[])} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      element.addEventListener(key.slice(2), /** @type {EventListener} */ (value));
    } else if (key === "value" || key === "checked") {
      Object.assign(element, { [key]: value });
    } else {
      element.setAttribute(key, value === true ? "" : String(value));
    }
  }
  element.append(...nodes(children));
  return element;
}

/**
 * @param {(Child | Child[])[]} children
 * @returns {(Node | string)[]}
 */
function nodes(children) {
  return children
    .flat()
    .filter((child) => child !== null && child !== undefined && child !== false)
    .map((child) => (typeof child === "number" ? String(child) : /** @type {Node | string} */ (child)));
}

/**
 * A link only to http(s) URLs: a preview URL is data, and data must not become `javascript:`.
 * @param {string | undefined} url
 * @returns {string | undefined}
 */
export function safeHref(url) {
  if (!url) return undefined;
  try {
    const parsed = new URL(url, location.href);
    return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : undefined;
  } catch {
    return undefined;
  }
}

/**
 * "42s", "5m", "3h", "2d": how long ago `iso` was.
 * @param {string} iso
 * @param {number} [now]
 */
export function age(iso, now = Date.now()) {
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86_400)}d`;
}

/**
 * "850 ms", "12.3 s", "2 min 5 s".
 * @param {number} ms
 */
export function duration(ms) {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/**
 * "14:03:07" in the viewer's time zone.
 * @param {string} iso
 */
export function clock(iso) {
  return new Date(iso).toLocaleTimeString([], { hour12: false });
}

/**
 * A status as a badge; the word is always there, colour only repeats it.
 * @param {string} status
 */
export function badge(status) {
  return h("span", { class: "badge", "data-status": status }, status);
}

/**
 * Points an existing badge at a new status.
 * @param {Element} element
 * @param {string} status
 */
export function setBadge(element, status) {
  element.setAttribute("data-status", status);
  element.textContent = status;
}
