// The API's public URL, baked in by `vite build` from VITE_API_URL.
const apiUrl = import.meta.env.VITE_API_URL as string;

interface BookView {
  id: number;
  title: string;
  author: string;
  price: string;
  stock: number;
}

const status = document.querySelector<HTMLParagraphElement>("#status")!;
const list = document.querySelector<HTMLUListElement>("#books")!;

function bookItem(book: BookView): HTMLLIElement {
  const item = document.createElement("li");
  item.dataset.testid = "book";
  item.dataset.bookId = String(book.id);
  const title = document.createElement("span");
  title.textContent = `${book.title} — ${book.author}`;
  const price = document.createElement("span");
  price.className = "price";
  price.textContent = book.stock > 0 ? book.price : `${book.price} (sold out)`;
  item.append(title, price);
  return item;
}

async function showBooks(): Promise<void> {
  try {
    const response = await fetch(`${apiUrl}/books`);
    if (!response.ok) throw new Error(`the API answered ${response.status}`);
    const { items, views } = (await response.json()) as { items: BookView[]; views: number };
    list.replaceChildren(...items.map(bookItem));
    status.textContent = items.length === 0 ? "No books yet." : `${items.length} books`;
    document.querySelector("#views")!.textContent = `Catalogue views: ${views}`;
  } catch (error) {
    status.textContent = `Could not load books from ${apiUrl}: ${(error as Error).message}`;
  }
}

void showBooks();
