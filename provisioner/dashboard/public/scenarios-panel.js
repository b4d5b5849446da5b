// @ts-check
/**
 * Seed scenarios: which one the data holds, and switching to another (previewd resets the data
 * and loads it; the answer comes once it is loaded), with the outcome said in words.
 */
import { api, envPath } from "./api.js";
import { clock, duration, h } from "./dom.js";

/** @typedef {import("./types.js").Environment} Environment */
/** @typedef {import("./types.js").Scenario} Scenario */

/** @param {Environment} env */
export function scenariosPanel(env) {
  const current = h("p", { class: "scenario-current" });
  const select = h("select", { id: "scenario-select" });
  const load = h("button", { type: "submit" }, "Load scenario");
  const result = h("p", { class: "inline-status", role: "status", id: "scenario-result" });
  const description = h("p", { class: "muted scenario-description" });
  const form = h(
    "form",
    { class: "scenario-form" },
    h("label", { for: "scenario-select" }, "Scenario"),
    h("div", { class: "flag-control" }, select, load),
    description,
    result,
  );
  const element = h(
    "section",
    { class: "panel panel-scenarios", "aria-labelledby": "scenarios-title" },
    h("h3", { id: "scenarios-title" }, "Scenarios"),
    current,
    form,
  );
  /** @type {Scenario[]} */
  let scenarios = [];

  const describe = () => {
    const chosen = scenarios.find((s) => s.name === select.value);
    description.textContent = chosen ? (chosen.error ?? chosen.description) : "";
  };
  select.addEventListener("change", describe);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const name = select.value;
    if (!name) return;
    load.disabled = true;
    result.textContent = `Loading ${name}…`;
    const started = performance.now();
    try {
      await api(envPath(env.id, "/scenario"), { method: "POST", body: { name } });
      result.textContent = `Loaded ${name} in ${duration(performance.now() - started)}.`;
    } catch (error) {
      result.textContent = `Could not load ${name}: ${/** @type {Error} */ (error).message}`;
    } finally {
      load.disabled = false;
    }
  });

  async function loadList() {
    try {
      scenarios = await api(envPath(env.id, "/scenarios"));
    } catch (error) {
      scenarios = [];
      result.textContent = /** @type {Error} */ (error).message;
    }
    select.replaceChildren(
      ...scenarios.map((s) =>
        h("option", { value: s.name, disabled: s.error !== null, selected: s.name === env.scenario }, s.name),
      ),
    );
    form.hidden = scenarios.length === 0;
    if (scenarios.length === 0) current.textContent = "This manifest declares no seed scenarios.";
    describe();
    update(env);
  }

  /** @param {Environment} next */
  function update(next) {
    env = next;
    if (scenarios.length === 0) return;
    current.textContent = env.seed
      ? `The data holds ${env.seed.scenario}, loaded at ${clock(env.seed.loadedAt)}.`
      : `No scenario loaded yet${env.scenario ? ` (${env.scenario} is next)` : ""}.`;
  }

  void loadList();
  return { element, update, dispose() {} };
}
