// @ts-check
/**
 * The last provisioning or update, step by step (live), each finished step with how long it took,
 * and the per-phase timings previewd reports, as bars against the total.
 */
import { envPath, follow } from "./api.js";
import { badge, clock, duration, h } from "./dom.js";

/** @typedef {import("./types.js").Environment} Environment */
/** @typedef {import("./types.js").StepEvent} StepEvent */

const settled = new Set(["ready", "failed", "degraded"]);

/** @param {Environment} env */
export function eventsPanel(env) {
  const timings = h("dl", { class: "timings" });
  const rows = h("tbody");
  const table = h(
    "table",
    { class: "events" },
    h("caption", { class: "visually-hidden" }, "Steps of the last provisioning"),
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        ...["Time", "Step", "Status", "Took", "Message"].map((name) => h("th", { scope: "col" }, name)),
      ),
    ),
    rows,
  );
  const element = h(
    "section",
    { class: "panel panel-events", "aria-labelledby": "events-title" },
    h("h3", { id: "events-title" }, "Provisioning"),
    timings,
    h("div", { class: "table-scroll", tabindex: "0", "aria-label": "Provisioning steps" }, table),
  );
  /** When each step (and app) started, to say how long it took once it ends. */
  /** @type {Map<string, number>} */
  let started = new Map();
  let status = env.status;
  let stop = open();

  function open() {
    return follow(envPath(env.id, "/events"), add, {
      // Each connection replays the operation's events from its start.
      onState: (state) => {
        if (state !== "live") return;
        rows.replaceChildren();
        started = new Map();
      },
    });
  }

  /** @param {StepEvent} event */
  function add(event) {
    const key = `${event.step}/${event.app ?? ""}`;
    const at = Date.parse(event.ts);
    let took = "";
    if (event.status === "started") started.set(key, at);
    else if (started.has(key) && (event.status === "succeeded" || event.status === "failed")) {
      took = duration(at - /** @type {number} */ (started.get(key)));
    }
    rows.append(
      h(
        "tr",
        { "data-status": event.status },
        h("td", {}, h("time", { datetime: event.ts }, clock(event.ts))),
        h("td", {}, event.step, event.app ? h("span", { class: "muted" }, ` ${event.app}`) : null),
        h("td", {}, badge(event.status)),
        h("td", { class: "numeric" }, took),
        h("td", { class: "event-message" }, event.message),
      ),
    );
  }

  /** @param {Environment} next */
  function update(next) {
    // A new operation (a redeploy, a retry): follow its events from the start.
    if (settled.has(status) && !settled.has(next.status) && next.status !== "deleting") {
      stop();
      stop = open();
    }
    status = next.status;
    env = next;
    const phases = Object.entries(env.timings).filter(([phase]) => phase !== "total");
    const total = env.timings.total ?? phases.reduce((sum, [, ms]) => sum + ms, 0);
    timings.replaceChildren(
      ...phases.flatMap(([phase, ms]) => [
        h("dt", {}, phase),
        h(
          "dd",
          {},
          bar(total ? Math.max(1, (ms / total) * 100) : 0),
          h("span", { class: "numeric" }, duration(ms)),
        ),
      ]),
      ...(phases.length
        ? [h("dt", { class: "total" }, "total"), h("dd", { class: "total numeric" }, duration(total))]
        : []),
    );
  }

  update(env);
  return { element, update, dispose: () => stop() };
}

/**
 * A bar `percent` wide. Set through the CSSOM: the page's CSP refuses inline style attributes.
 * @param {number} percent
 */
function bar(percent) {
  const element = h("span", { class: "bar" });
  element.style.setProperty("--share", `${percent}%`);
  return element;
}
