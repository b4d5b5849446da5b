import { formatMoney, html, type Product, type SafeHtml } from "@shop/shared";

export function productPage(product: Product): SafeHtml {
  return html`<article id="product" data-testid="product-detail" data-product-id="${product.id}">
    <h1 id="product-name">${product.name}</h1>
    <p id="product-description">${product.description}</p>
    <p id="product-price" data-cents="${product.priceCents}">${formatMoney(product.priceCents)}</p>
    <form method="get" action="/checkout">
      <input type="hidden" name="productId" value="${product.id}" />
      <button type="submit" id="buy" data-testid="buy">Buy</button>
    </form>
  </article>`;
}
