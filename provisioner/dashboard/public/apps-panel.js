// @ts-check
/**
 * Each app of the environment: its health, a link to its preview (a share link when previews
 * need the token), its latest screenshot and a button to take one; then the services' status.
 */
import { api, envPath } from "./api.js";
import { badge, clock, h, safeHref, setBadge } from "./dom.js";

/** @typedef {import("./types.js").Environment} Environment */
/** @typedef {import("./types.js").Screenshot} Screenshot */

/** @param {Environment} env */
export function appsPanel(env) {
  const list = h("div", { class: "apps" });
  const services = h("ul", { class: "services" });
  const element = h(
    "section",
    { class: "panel panel-apps", "aria-labelledby": "apps-title" },
    h("h3", { id: "apps-title" }, "Apps"),
    list,
    services,
  );
  /** @type {Map<string, {status: HTMLElement, link: HTMLAnchorElement, figure: HTMLElement}>} */
  const cards = new Map();
  /** @type {Record<string, string>} */
  let links = {};
  let appNames = "";
  let serviceNames = "";

  /** @param {string} app */
  function card(app) {
    const status = badge(env.apps[app]?.status ?? "pending");
    const link = h(
      "a",
      { class: "preview-link", target: "_blank", rel: "noopener noreferrer" },
      `Open ${app}`,
      h("span", { "aria-hidden": "true" }, " ↗"),
    );
    const figure = h("figure", { class: "screenshot" }, h("figcaption", {}, "No screenshot yet"));
    const take = h("button", { type: "button", class: "secondary" }, "Take screenshot");
    const message = h("p", { class: "inline-status", role: "status" });
    take.setAttribute("aria-label", `Take a screenshot of ${app}`);
    take.addEventListener("click", async () => {
      take.disabled = true;
      message.textContent = "Taking a screenshot…";
      try {
        /** @type {Screenshot} */
        const shot = await api(envPath(env.id, "/screenshots"), { method: "POST", body: { app } });
        showScreenshot(figure, app, shot);
        message.textContent = "";
      } catch (error) {
        message.textContent = `Screenshot failed: ${/** @type {Error} */ (error).message}`;
      } finally {
        take.disabled = false;
      }
    });
    const article = h(
      "article",
      { class: "app", "data-app": app, "aria-label": app },
      h("div", { class: "app-head" }, h("h4", {}, app), status, link),
      figure,
      h("div", { class: "app-actions" }, take, message),
    );
    cards.set(app, { status, link, figure });
    return article;
  }

  /** @param {Environment} next */
  function update(next) {
    env = next;
    const names = Object.keys(env.apps).join(",");
    if (names !== appNames) {
      appNames = names;
      cards.clear();
      list.replaceChildren(...Object.keys(env.apps).map(card));
      void loadScreenshots();
    }
    for (const [app, { status, link }] of cards) {
      const view = env.apps[app];
      if (!view) continue;
      setBadge(status, view.status);
      const href = safeHref(links[app] ?? view.url);
      if (href) link.setAttribute("href", href);
    }
    const serviceList = Object.entries(env.services);
    const serviceKey = JSON.stringify(serviceList);
    if (serviceKey !== serviceNames) {
      serviceNames = serviceKey;
      services.replaceChildren(
        ...serviceList.map(([name, service]) =>
          h("li", {}, h("span", { class: "service-name" }, name), ` ${service.type} `, badge(service.status)),
        ),
      );
    }
  }

  async function loadLinks() {
    try {
      // Share links open protected previews without the token; with open previews they are the plain URLs.
      links = (await api(envPath(env.id, "/share"), { method: "POST", body: {} })).apps ?? {};
    } catch {
      links = {};
    }
    update(env);
  }

  async function loadScreenshots() {
    /** @type {Screenshot[]} */
    const shots = await api(envPath(env.id, "/screenshots")).catch(() => []);
    for (const [app, { figure }] of cards) {
      const latest = shots.filter((shot) => appOf(shot) === app).at(-1);
      if (latest) showScreenshot(figure, app, latest);
    }
  }

  /** @param {Screenshot} shot */
  function appOf(shot) {
    try {
      const host = new URL(shot.pageUrl).host;
      return Object.keys(env.apps).find((app) => new URL(env.apps[app]?.url ?? "").host === host);
    } catch {
      return undefined;
    }
  }

  update(env);
  void loadLinks();
  return { element, update, dispose() {} };
}

/**
 * @param {HTMLElement} figure
 * @param {string} app
 * @param {Screenshot} shot
 */
function showScreenshot(figure, app, shot) {
  const src = safeHref(shot.url);
  if (!src) return;
  const when = clock(shot.createdAt);
  figure.replaceChildren(
    h(
      "a",
      { href: src, target: "_blank", rel: "noopener noreferrer" },
      h("img", {
        src,
        alt: `Screenshot of ${app} taken at ${when}`,
        width: shot.width,
        height: shot.height,
        loading: "lazy",
      }),
    ),
    h(
      "figcaption",
      {},
      `${when} · ${shot.width}×${shot.height}`,
      shot.consoleErrors.length ? ` · ${shot.consoleErrors.length} console errors` : "",
    ),
  );
}
