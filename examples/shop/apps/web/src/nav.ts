import { html, type SafeHtml } from "@shop/shared";

export function webNav(adminUrl: string | undefined): SafeHtml {
  return html`<a href="/" id="nav-home">shop</a>
    <a href="/checkout" id="nav-checkout">Checkout</a>
    ${adminUrl ? html`<a href="${adminUrl}" id="nav-admin">Admin</a>` : null}`;
}
