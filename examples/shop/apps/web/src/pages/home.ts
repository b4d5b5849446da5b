import { formatMoney, html, type Page, type Product, type SafeHtml } from "@shop/shared";

export function homePage(banner: string, products: Page<Product>): SafeHtml {
  const pages = Math.max(1, Math.ceil(products.total / products.pageSize));
  const { page } = products;
  return html`<h1 id="banner" data-testid="banner">${banner}</h1>
    ${
      products.items.length === 0
        ? html`<p id="empty" data-testid="empty">No products yet.</p>`
        : html`<ul id="products" data-testid="product-list">
            ${products.items.map(
              (p) =>
                html`<li data-testid="product" data-product-id="${p.id}">
                  <a href="/products/${p.id}" data-testid="product-link">${p.name}</a>
                  <span data-testid="product-price">${formatMoney(p.priceCents)}</span>
                </li>`,
            )}
          </ul>`
    }
    <nav id="pagination" data-page="${page}" data-pages="${pages}">
      ${page > 1 ? html`<a href="/?page=${page - 1}" id="prev-page">Previous</a>` : null}
      <span id="page-info">Page ${page} of ${pages} (${products.total} products)</span>
      ${page < pages ? html`<a href="/?page=${page + 1}" id="next-page">Next</a>` : null}
    </nav>`;
}
