// @ts-check
/**
 * The list of environments: one link per environment with its status, ref, commit, scenario and
 * age. Rows are kept by id and updated in place, so a live update never takes the keyboard
 * focus away from the row it is on.
 */
import { age, badge, h, setBadge } from "./dom.js";

/** @typedef {import("./types.js").Environment} Environment */

/**
 * @param {HTMLElement} container the `<ul>` to fill
 * @param {HTMLElement} empty shown when there is none
 */
export function environmentList(container, empty) {
  /** @type {Map<string, {item: HTMLLIElement, link: HTMLAnchorElement, status: HTMLElement, fields: Record<string, HTMLElement>, createdAt: string}>} */
  const rows = new Map();

  /** @param {Environment} env */
  function row(env) {
    const fields = {
      name: h("span", { class: "env-name" }),
      id: h("span", { class: "env-id" }),
      ref: h("span", { class: "env-ref", title: "ref" }),
      commit: h("code", { class: "env-commit", title: "commit" }),
      scenario: h("span", { class: "env-scenario", title: "scenario" }),
      age: h("time", { class: "env-age" }),
    };
    const status = badge(env.status);
    const link = h(
      "a",
      { class: "env-link", href: `#/environments/${encodeURIComponent(env.id)}` },
      h("span", { class: "env-line" }, fields.name, status),
      h("span", { class: "env-line env-id-line" }, fields.id),
      h("span", { class: "env-line env-meta" }, fields.ref, fields.commit, fields.scenario, fields.age),
    );
    const item = h("li", { "data-id": env.id }, link);
    return { item, link, status, fields, createdAt: env.createdAt };
  }

  return {
    /**
     * @param {Environment[]} environments
     * @param {string | undefined} selected
     */
    update(environments, selected) {
      const sorted = [...environments].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
      for (const [id, { item }] of rows) {
        if (!sorted.some((env) => env.id === id)) {
          item.remove();
          rows.delete(id);
        }
      }
      sorted.forEach((env, index) => {
        let current = rows.get(env.id);
        if (!current) rows.set(env.id, (current = row(env)));
        const { fields } = current;
        setBadge(current.status, env.status);
        fields.name.textContent = env.name;
        fields.id.textContent = env.id;
        fields.ref.textContent = env.ref;
        fields.commit.textContent = env.commit.slice(0, 7);
        fields.scenario.textContent = env.scenario ?? "no scenario";
        fields.age.setAttribute("datetime", env.createdAt);
        fields.age.setAttribute("title", `created ${new Date(env.createdAt).toLocaleString()}`);
        fields.age.textContent = age(env.createdAt);
        if (selected === env.id) current.link.setAttribute("aria-current", "page");
        else current.link.removeAttribute("aria-current");
        // Moved only when out of place: moving a focused element would blur it.
        if (container.children[index] !== current.item)
          container.insertBefore(current.item, container.children[index] ?? null);
      });
      empty.hidden = environments.length > 0;
    },

    /** Ages move on between updates. */
    tick() {
      for (const { fields, createdAt } of rows.values()) fields.age.textContent = age(createdAt);
    },
  };
}
