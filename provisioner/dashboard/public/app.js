// @ts-check
/**
 * The dashboard: the live list of environments (GET /v1/environments?follow=true) and, under
 * `#/environments/<id>`, one of them in detail. Plain ES modules served by previewd: no build
 * step, no framework, no third-party code.
 */
import { follow, sessionState, signOut } from "./api.js";
import { h } from "./dom.js";
import { environmentDetail } from "./environment-detail.js";
import { environmentList } from "./environment-list.js";

/** @typedef {import("./types.js").Environment} Environment */

/**
 * @param {string} id
 * @returns {HTMLElement}
 */
function byId(id) {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page has no #${id}`);
  return element;
}

const list = environmentList(byId("environment-list"), byId("no-environments"));
const detailRoot = byId("detail");
const connection = byId("connection");
/** @type {Environment[] | undefined} */
let environments;
/** @type {ReturnType<typeof environmentDetail> | undefined} */
let detail;

function selectedId() {
  const match = /^#\/environments\/([^/]+)$/.exec(location.hash);
  return match?.[1] ? decodeURIComponent(match[1]) : undefined;
}

function render() {
  const id = selectedId();
  document.body.dataset.view = id ? "detail" : "list";
  if (!environments) return;
  list.update(environments, id);
  const env = id ? environments.find((e) => e.id === id) : undefined;
  if (detail && detail.id !== id) {
    detail.dispose();
    detail = undefined;
  }
  if (!id)
    return detailRoot.replaceChildren(
      h(
        "p",
        { class: "muted placeholder" },
        "Choose an environment to see its apps, flags, scenarios and logs.",
      ),
    );
  if (!env) {
    detail?.dispose();
    detail = undefined;
    return detailRoot.replaceChildren(
      h(
        "p",
        { class: "placeholder" },
        `There is no environment ${id} (any more).`,
        " ",
        h("a", { href: "#/" }, "All environments"),
      ),
    );
  }
  if (detail) return detail.update(env);
  detail = environmentDetail(env);
  detailRoot.replaceChildren(detail.element);
  detail.focus();
}

follow(
  "/v1/environments?follow=true",
  (/** @type {Environment[]} */ next) => {
    environments = next;
    render();
  },
  { onState: (state) => (connection.textContent = state === "live" ? "live" : "reconnecting…") },
);
window.addEventListener("hashchange", render);
setInterval(() => list.tick(), 15_000);
render();

void sessionState().then(({ tokenRequired }) => {
  const button = byId("sign-out");
  button.hidden = !tokenRequired;
  button.addEventListener("click", () => void signOut());
});
