// @ts-check
/**
 * Live logs of the environment: the last 200 lines, then each new one as it is written, filtered
 * by app, stream and grep (a substring, or /regex/ as the API takes it). previewd does the
 * filtering; a new filter opens a new stream.
 */
import { check, envPath, follow } from "./api.js";
import { clock, h } from "./dom.js";

/** @typedef {import("./types.js").Environment} Environment */
/** @typedef {import("./types.js").LogLine} LogLine */

const MAX_LINES = 2000;
const streams = ["stdout", "stderr", "system", "browser"];

/** @param {Environment} env */
export function logsPanel(env) {
  const appSelect = h("select", { id: "log-app", name: "app" });
  const streamSelect = h(
    "select",
    { id: "log-stream", name: "stream" },
    h("option", { value: "" }, "all streams"),
    ...streams.map((stream) => h("option", { value: stream }, stream)),
  );
  const grep = h("input", {
    id: "log-grep",
    name: "grep",
    type: "search",
    placeholder: "text or /regex/",
    autocomplete: "off",
  });
  const state = h("span", { class: "inline-status", role: "status" });
  const lines = h("ol", { class: "log-lines" });
  const scroller = h(
    "div",
    { class: "log-scroll", tabindex: "0", role: "log", "aria-label": "Log lines", "aria-live": "off" },
    lines,
  );
  const element = h(
    "section",
    { class: "panel panel-logs", "aria-labelledby": "logs-title" },
    h("h3", { id: "logs-title" }, "Logs"),
    h(
      "form",
      {
        class: "log-filters",
        role: "search",
        "aria-label": "Filter logs",
        onsubmit: (/** @type {Event} */ e) => e.preventDefault(),
      },
      h("label", { for: "log-app" }, "App"),
      appSelect,
      h("label", { for: "log-stream" }, "Stream"),
      streamSelect,
      h("label", { for: "log-grep" }, "Grep"),
      grep,
      state,
    ),
    scroller,
  );
  let sources = "";
  /** @type {() => void} */
  let stop = () => {};
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let typing;
  /** Counts opens: a filter changed while the previous one was being checked wins. */
  let opened = 0;

  async function open() {
    const generation = ++opened;
    stop();
    lines.replaceChildren();
    const query = new URLSearchParams();
    if (appSelect.value) query.set("app", appSelect.value);
    if (streamSelect.value) query.set("stream", streamSelect.value);
    if (grep.value) query.set("grep", grep.value);
    // An EventSource cannot read a refusal's reason: ask once without following to show it.
    const refused = await check(envPath(env.id, `/logs?${query}&tail=0`));
    if (generation !== opened) return;
    if (refused) {
      state.textContent = refused.message;
      return;
    }
    state.textContent = "";
    query.set("tail", "200");
    query.set("follow", "true");
    stop = follow(envPath(env.id, `/logs?${query}`), add, {
      onState: (s) => (state.textContent = s === "live" ? "" : "reconnecting…"),
    });
  }

  /** @param {LogLine} entry */
  function add(entry) {
    const atBottom = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 24;
    lines.append(
      h(
        "li",
        { "data-stream": entry.stream },
        h("time", { datetime: entry.ts }, clock(entry.ts)),
        h("span", { class: "log-app" }, entry.app),
        h("span", { class: "log-text" }, entry.line),
      ),
    );
    while (lines.childElementCount > MAX_LINES) lines.firstElementChild?.remove();
    if (atBottom) scroller.scrollTop = scroller.scrollHeight;
  }

  appSelect.addEventListener("change", () => void open());
  streamSelect.addEventListener("change", () => void open());
  grep.addEventListener("input", () => {
    clearTimeout(typing);
    typing = setTimeout(() => void open(), 300);
  });

  /** @param {Environment} next */
  function update(next) {
    env = next;
    const names = [...Object.keys(env.apps), ...Object.keys(env.services), "browser", "previewd"];
    if (names.join(",") === sources) return;
    sources = names.join(",");
    const chosen = appSelect.value;
    appSelect.replaceChildren(
      h("option", { value: "" }, "all apps"),
      ...names.map((name) => h("option", { value: name, selected: name === chosen }, name)),
    );
  }

  update(env);
  void open();
  return {
    element,
    update,
    dispose() {
      clearTimeout(typing);
      stop();
    },
  };
}
