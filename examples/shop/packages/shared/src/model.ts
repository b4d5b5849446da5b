/** The API's JSON shapes, shared by the api (which produces them) and the web and admin apps. */
export interface Product {
  id: number;
  name: string;
  description: string;
  priceCents: number;
}

export interface Customer {
  id: number;
  name: string;
  email: string | null;
  /** Last valid day of the card on file (YYYY-MM-DD), or null when there is no card. */
  cardExpires: string | null;
  createdAt: string;
}

export interface Order {
  id: number;
  customerId: number;
  customerName: string;
  productId: number;
  productName: string;
  quantity: number;
  totalCents: number;
  createdAt: string;
}

export interface Page<T> {
  items: T[];
  page: number;
  pageSize: number;
  total: number;
}

/** Error body of every non-2xx API answer. */
export interface ApiError {
  error: string;
  message: string;
}
