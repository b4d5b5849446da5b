import { formatMoney, html, type Customer, type Order, type Product, type SafeHtml } from "@shop/shared";

export interface CheckoutForm {
  customers: Customer[];
  products: Product[];
  productId?: number;
  customerId?: number;
  /** Why the last attempt failed, e.g. the API's 402 "card expired" message. */
  error?: string;
}

function options<T extends { id: number; name: string }>(items: T[], selected?: number): SafeHtml[] {
  return items.map(
    (item) =>
      html`<option value="${item.id}" ${item.id === selected ? html`selected` : null}>${item.name}</option>`,
  );
}

function errorLine(error?: string): SafeHtml | null {
  return error
    ? html`<p id="checkout-error" data-testid="checkout-error" class="error" role="alert">${error}</p>`
    : null;
}

/** The checkout everyone has today: one plain form. */
export function classicCheckout(form: CheckoutForm): SafeHtml {
  return html`<section id="checkout" data-testid="checkout" data-flow="classic">
    <h1 id="checkout-title">Checkout</h1>
    ${errorLine(form.error)}
    <form method="post" action="/checkout" id="checkout-form">
      <p>
        <label for="customer">Customer</label>
        <select name="customerId" id="customer">
          ${options(form.customers, form.customerId)}
        </select>
      </p>
      <p>
        <label for="product">Product</label>
        <select name="productId" id="product">
          ${options(form.products, form.productId)}
        </select>
      </p>
      <p>
        <label for="quantity">Quantity</label>
        <input name="quantity" id="quantity" type="number" min="1" value="1" />
      </p>
      <button type="submit" id="place-order" data-testid="place-order">Place order</button>
    </form>
  </section>`;
}

/** Behind the `new-checkout` flag: a three-step, single-page flow that looks clearly different. */
export function newCheckout(form: CheckoutForm): SafeHtml {
  return html`<section
    id="checkout"
    data-testid="checkout"
    data-flow="new"
    style="background:#eef2ff;border:2px solid #4f46e5;border-radius:12px;padding:1rem 1.5rem"
  >
    <p id="new-checkout-badge" style="color:#4f46e5;font-weight:700">NEW · express checkout</p>
    <h1 id="checkout-title">New checkout</h1>
    <ol id="checkout-steps">
      <li>Who is paying</li>
      <li>What you get</li>
      <li>Pay</li>
    </ol>
    ${errorLine(form.error)}
    <form method="post" action="/checkout" id="checkout-form">
      <fieldset>
        <legend>1. Who is paying</legend>
        <select name="customerId" id="customer">
          ${options(form.customers, form.customerId)}
        </select>
      </fieldset>
      <fieldset>
        <legend>2. What you get</legend>
        <select name="productId" id="product">
          ${options(form.products, form.productId)}
        </select>
        <input name="quantity" id="quantity" type="number" min="1" value="1" aria-label="Quantity" />
      </fieldset>
      <button
        type="submit"
        id="place-order"
        data-testid="place-order"
        style="background:#4f46e5;color:white;border:0;border-radius:8px"
      >
        3. Pay now
      </button>
    </form>
  </section>`;
}

export function orderConfirmation(order: Order): SafeHtml {
  return html`<section id="order-confirmation" data-testid="order-confirmation" data-order-id="${order.id}">
    <h1>Thank you, ${order.customerName}!</h1>
    <p>
      Order #<span id="order-id">${order.id}</span>: ${order.quantity} × ${order.productName}, total
      <span id="order-total">${formatMoney(order.totalCents)}</span>.
    </p>
    <a href="/">Back to the shop</a>
  </section>`;
}
