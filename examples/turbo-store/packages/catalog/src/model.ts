export interface Book {
  id: number;
  title: string;
  author: string;
  priceCents: number;
  stock: number;
}

export interface Order {
  id: number;
  bookId: number;
  quantity: number;
  totalCents: number;
  /** The payments twin's charge id. */
  chargeId: string;
  createdAt: string;
}

export interface OrderRequest {
  bookId: number;
  quantity: number;
}
