// @ts-check
/**
 * "Are you sure?" as a modal `<dialog>`: the browser keeps the focus inside it and Escape
 * cancels. Cancel has the focus first, so Enter never confirms by accident.
 */
import { h } from "./dom.js";

/**
 * @param {{title: string, body: string, confirm: string}} text
 * @returns {Promise<boolean>}
 */
export function confirmAction({ title, body, confirm }) {
  return new Promise((resolve) => {
    const cancelButton = h("button", { type: "button", class: "secondary" }, "Cancel");
    const confirmButton = h("button", { type: "button", class: "danger" }, confirm);
    const dialog = h(
      "dialog",
      { class: "confirm", "aria-labelledby": "confirm-title", "aria-describedby": "confirm-body" },
      h("h2", { id: "confirm-title" }, title),
      h("p", { id: "confirm-body" }, body),
      h("div", { class: "dialog-actions" }, cancelButton, confirmButton),
    );
    /** @param {boolean} answer */
    const finish = (answer) => {
      dialog.close();
      dialog.remove();
      resolve(answer);
    };
    cancelButton.addEventListener("click", () => finish(false));
    confirmButton.addEventListener("click", () => finish(true));
    dialog.addEventListener("cancel", (event) => {
      event.preventDefault();
      finish(false);
    });
    document.body.append(dialog);
    dialog.showModal();
    cancelButton.focus();
  });
}
