// @ts-check
/**
 * One environment: what it is (status, ref, commit, scenario, age, expiry), redeploy and delete
 * behind a confirmation, the error and its log tail when it failed, then its apps, flags,
 * scenarios, provisioning steps and logs. `update` is called with each live view of it.
 */
import { api, envPath } from "./api.js";
import { appsPanel } from "./apps-panel.js";
import { confirmAction } from "./confirm-dialog.js";
import { age, badge, h, setBadge } from "./dom.js";
import { eventsPanel } from "./events-panel.js";
import { flagsPanel } from "./flags-panel.js";
import { logsPanel } from "./logs-panel.js";
import { scenariosPanel } from "./scenarios-panel.js";

/** @typedef {import("./types.js").Environment} Environment */

/** @param {Environment} env */
export function environmentDetail(env) {
  const title = h("h2", { id: "detail-title", tabindex: "-1" }, env.id);
  const status = badge(env.status);
  const facts = h("dl", { class: "facts" });
  const actionState = h("p", { class: "inline-status", role: "status" });
  const redeploy = h("button", { type: "button" }, "Redeploy");
  const remove = h("button", { type: "button", class: "danger" }, "Delete");
  const failure = h("section", {
    class: "panel panel-error",
    "aria-labelledby": "error-title",
    hidden: true,
  });
  const panels = [appsPanel(env), flagsPanel(env), scenariosPanel(env), eventsPanel(env), logsPanel(env)];
  const element = h(
    "article",
    { class: "environment", "aria-labelledby": "detail-title" },
    h("a", { class: "back-link", href: "#/" }, "← All environments"),
    h(
      "header",
      { class: "detail-head" },
      h("div", { class: "detail-title" }, title, status),
      h("div", { class: "detail-actions" }, redeploy, remove),
      facts,
      actionState,
    ),
    failure,
    h("div", { class: "panels" }, ...panels.map((panel) => panel.element)),
  );

  redeploy.addEventListener("click", async () => {
    const sure = await confirmAction({
      title: `Redeploy ${env.id}?`,
      body: `previewd fetches ${env.ref} again and rebuilds and restarts only the apps whose inputs changed. The running version serves until the new one is healthy.`,
      confirm: "Redeploy",
    });
    if (sure) await act("Redeploying…", () => api(envPath(env.id, "/redeploy"), { method: "POST" }));
    redeploy.focus();
  });

  remove.addEventListener("click", async () => {
    const sure = await confirmAction({
      title: `Delete ${env.id}?`,
      body: "Its apps and services stop, and its worktree, database, logs and screenshots are removed. This cannot be undone.",
      confirm: "Delete",
    });
    if (!sure) return remove.focus();
    await act("Deleting…", () => api(envPath(env.id), { method: "DELETE" }));
  });

  /**
   * @param {string} doing
   * @param {() => Promise<unknown>} request
   */
  async function act(doing, request) {
    actionState.textContent = doing;
    try {
      await request();
    } catch (error) {
      actionState.textContent = /** @type {Error} */ (error).message;
    }
  }

  /** @param {Environment} next */
  function update(next) {
    env = next;
    setBadge(status, env.status);
    if (!["updating", "provisioning", "deleting"].includes(env.status)) actionState.textContent = "";
    redeploy.disabled = env.status === "deleting";
    remove.disabled = env.status === "deleting";
    /** @type {[string, string | Node][]} */
    const rows = [
      ["Ref", env.ref],
      ["Commit", h("code", { title: env.commit }, env.commit.slice(0, 12))],
      ["Scenario", env.scenario ?? "none"],
      ["Runtime", env.runtime],
      [
        "Age",
        h(
          "time",
          { datetime: env.createdAt, title: new Date(env.createdAt).toLocaleString() },
          age(env.createdAt),
        ),
      ],
      ["Expires", env.expiresAt ? new Date(env.expiresAt).toLocaleString() : "never"],
    ];
    facts.replaceChildren(
      ...rows.map(([name, value]) => h("div", {}, h("dt", {}, name), h("dd", {}, value))),
    );
    showFailure();
    for (const panel of panels) panel.update(env);
  }

  function showFailure() {
    failure.hidden = !env.error;
    if (!env.error) return failure.replaceChildren();
    const { step, app, message, logTail } = env.error;
    failure.replaceChildren(
      h("h3", { id: "error-title" }, `Failed at ${step}${app ? ` (${app})` : ""}`),
      h("p", { class: "error-text" }, message),
      logTail.length
        ? h("pre", { class: "log-tail", tabindex: "0", "aria-label": "Last log lines" }, logTail.join("\n"))
        : h("p", { class: "muted" }, "No log lines."),
    );
  }

  update(env);
  return {
    id: env.id,
    element,
    update,
    /** Keyboard users land on the environment they opened. */
    focus: () => title.focus(),
    dispose() {
      for (const panel of panels) panel.dispose();
    },
  };
}
