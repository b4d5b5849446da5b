// @ts-check
/**
 * The environment's feature flags: a switch per boolean, a field and Save per string or number.
 * Values follow the live list; a field being edited is left alone until it is saved.
 */
import { api, envPath } from "./api.js";
import { h } from "./dom.js";

/** @typedef {import("./types.js").Environment} Environment */
/** @typedef {import("./types.js").FlagDetails} FlagDetails */

/** @param {Environment} env */
export function flagsPanel(env) {
  const body = h("div", { class: "flags" }, h("p", { class: "muted" }, "Loading flags…"));
  const element = h(
    "section",
    { class: "panel panel-flags", "aria-labelledby": "flags-title" },
    h("h3", { id: "flags-title" }, "Flags"),
    body,
  );
  /** Per flag: shows a value from the live list, unless the user is changing it. */
  /** @type {Map<string, (value: boolean | string | number) => void>} */
  const controls = new Map();

  /**
   * @param {string} key
   * @param {FlagDetails} flag
   */
  function row(key, flag) {
    const id = `flag-${key}`;
    const message = h("span", { class: "inline-status", role: "status" });
    const description = flag.description
      ? h("p", { class: "flag-description", id: `${id}-about` }, flag.description)
      : null;
    /** @param {boolean | string | number} value */
    const save = async (value) => {
      message.textContent = "Saving…";
      try {
        await api(envPath(env.id, `/flags/${encodeURIComponent(key)}`), { method: "PUT", body: { value } });
        message.textContent = "Saved";
        return true;
      } catch (error) {
        message.textContent = /** @type {Error} */ (error).message;
        return false;
      }
    };

    if (flag.type === "boolean") {
      const input = h("input", {
        type: "checkbox",
        role: "switch",
        id,
        checked: flag.value === true,
        "aria-describedby": description ? `${id}-about` : undefined,
      });
      input.addEventListener("change", async () => {
        input.disabled = true;
        if (!(await save(input.checked))) input.checked = !input.checked;
        input.disabled = false;
        input.focus();
      });
      controls.set(key, (value) => {
        if (!input.disabled) input.checked = value === true;
      });
      return h(
        "div",
        { class: "flag flag-boolean" },
        h("div", { class: "flag-control" }, input, h("label", { for: id }, key), message),
        description,
      );
    }

    const input = h("input", {
      type: flag.type === "number" ? "number" : "text",
      step: flag.type === "number" ? "any" : undefined,
      id,
      value: String(flag.value),
      "aria-describedby": description ? `${id}-about` : undefined,
    });
    let saved = String(flag.value);
    const form = h(
      "form",
      { class: "flag flag-value" },
      h("label", { for: id }, key),
      h(
        "div",
        { class: "flag-control" },
        input,
        h(
          "button",
          { type: "submit", class: "secondary" },
          "Save",
          h("span", { class: "visually-hidden" }, ` ${key}`),
        ),
        message,
      ),
      description,
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const value = flag.type === "number" ? Number(input.value) : input.value;
      if (flag.type === "number" && (input.value.trim() === "" || !Number.isFinite(value))) {
        message.textContent = "Enter a number";
        return;
      }
      if (await save(value)) saved = String(value);
    });
    controls.set(key, (value) => {
      if (document.activeElement === input || input.value !== saved) return;
      input.value = saved = String(value);
    });
    return form;
  }

  async function load() {
    try {
      /** @type {Record<string, FlagDetails>} */
      const flags = await api(envPath(env.id, "/flags"));
      const keys = Object.keys(flags).sort();
      body.replaceChildren(
        ...(keys.length
          ? keys.map((key) => row(key, /** @type {FlagDetails} */ (flags[key])))
          : [h("p", { class: "muted" }, "This manifest declares no flags.")]),
      );
    } catch (error) {
      body.replaceChildren(h("p", { class: "error-text" }, `Flags: ${/** @type {Error} */ (error).message}`));
    }
  }

  /** @param {Environment} next */
  function update(next) {
    env = next;
    for (const [key, show] of controls) {
      const value = env.flags[key];
      if (value !== undefined) show(value);
    }
  }

  void load();
  return { element, update, dispose() {} };
}
