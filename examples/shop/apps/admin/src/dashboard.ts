import { formatMoney, html, type Customer, type Order, type SafeHtml } from "@shop/shared";

function customerRow(customer: Customer, today: string): SafeHtml {
  const expired = customer.cardExpires !== null && customer.cardExpires < today;
  return html`<tr
    data-testid="customer"
    data-customer-id="${customer.id}"
    data-card-expired="${String(expired)}"
  >
    <td>${customer.id}</td>
    <td>${customer.name}</td>
    <td>${customer.email ?? "—"}</td>
    <td>
      ${customer.cardExpires ?? "no card"}${expired ? html` <strong class="error">expired</strong>` : null}
    </td>
  </tr>`;
}

function orderRow(order: Order): SafeHtml {
  return html`<tr data-testid="order" data-order-id="${order.id}">
    <td>${order.id}</td>
    <td>${order.customerName}</td>
    <td>${order.quantity} × ${order.productName}</td>
    <td>${formatMoney(order.totalCents)}</td>
    <td>${order.createdAt}</td>
  </tr>`;
}

export function dashboardPage(customers: Customer[], orders: Order[], today: string): SafeHtml {
  return html`<h1 id="admin-title">Shop admin</h1>
    <h2>Customers (<span id="customer-count">${customers.length}</span>)</h2>
    <table id="customers">
      <thead>
        <tr>
          <th>#</th>
          <th>Name</th>
          <th>Email</th>
          <th>Card expires</th>
        </tr>
      </thead>
      <tbody>
        ${customers.map((c) => customerRow(c, today))}
      </tbody>
    </table>
    <h2>Orders (<span id="order-count">${orders.length}</span>)</h2>
    ${
      orders.length === 0
        ? html`<p id="no-orders">No orders yet.</p>`
        : html`<table id="orders">
            <thead>
              <tr>
                <th>#</th>
                <th>Customer</th>
                <th>Items</th>
                <th>Total</th>
                <th>Placed</th>
              </tr>
            </thead>
            <tbody>
              ${orders.map(orderRow)}
            </tbody>
          </table>`
    }`;
}
