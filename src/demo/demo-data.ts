import { join, resolve } from 'node:path';

/** Folders of the bundled demo, resolved from this module so a build in dist/ finds them too. */
export const demoPaths = {
  /** Static pages and assets the demo site serves. */
  site: resolve(import.meta.dirname, '../../demo/site'),
  /** The demo project's test files (YAML, step language). */
  tests: resolve(import.meta.dirname, '../../demo/tests'),
  /** Files the demo tests upload, referenced relative to this folder. */
  testData: join(resolve(import.meta.dirname, '../../demo/tests'), 'data'),
};

/** The one account of the demo site; the demo environment hands these to tests as variables. */
export const demoUser = {
  email: 'demo@example.com',
  password: 'greenlight123',
  name: 'Demo User',
} as const;

/** Variables the demo environment provides; DEMO_PASSWORD is a secret (masked in results). */
export const demoVariables = {
  variables: { DEMO_EMAIL: demoUser.email, DEMO_PASSWORD: demoUser.password },
  secretNames: ['DEMO_PASSWORD'],
} as const;

export interface Product {
  id: string;
  name: string;
  /** Price in cents, so totals never meet floating-point rounding. */
  priceCents: number;
  stock: number;
  sku: string;
  description: string;
}

/** The catalog, small and fixed so tests can name exact prices and counts. */
export const products: readonly Product[] = [
  {
    id: 'paper-planner',
    name: 'Paper Planner',
    priceCents: 1200,
    stock: 120,
    sku: 'ACM-PLN-01',
    description: 'A dated weekly planner with a task column that mirrors your Acme Tasks board.',
  },
  {
    id: 'task-board',
    name: 'Magnetic Task Board',
    priceCents: 4900,
    stock: 8,
    sku: 'ACM-BRD-02',
    description: 'A wall board with To do, Doing and Done lanes and 60 reusable magnetic cards.',
  },
  {
    id: 'focus-timer',
    name: 'Focus Timer',
    priceCents: 2450,
    stock: 0,
    sku: 'ACM-TMR-03',
    description: 'A silent 25-minute desk timer for focused work sessions. Back in stock soon.',
  },
  {
    id: 'sticky-notes',
    name: 'Sticky Notes (12 pack)',
    priceCents: 699,
    stock: 340,
    sku: 'ACM-STN-04',
    description: 'Twelve pads of recycled sticky notes in the six Acme label colours.',
  },
  {
    id: 'standing-desk',
    name: 'Standing Desk Converter',
    priceCents: 18900,
    stock: 3,
    sku: 'ACM-DSK-05',
    description: 'Turns any desk into a standing desk in seconds; holds two monitors.',
  },
];

export function findProduct(id: string): Product | undefined {
  return products.find((p) => p.id === id);
}

/** `$12.00` — the one price format used by pages and the API. */
export function formatPrice(cents: number): string {
  return `$${(cents / 100).toFixed(2)}`;
}

/** The JSON shape of a product in the API. */
export function productJson(p: Product): {
  id: string;
  name: string;
  price: number;
  currency: string;
  stock: number;
  sku: string;
  url: string;
} {
  return {
    id: p.id,
    name: p.name,
    price: p.priceCents / 100,
    currency: 'USD',
    stock: p.stock,
    sku: p.sku,
    url: `/products/${p.id}`,
  };
}

export interface ReportRow {
  team: string;
  completed: number;
  open: number;
  cycleDays: number;
}

/** The weekly report the slow /reports page shows. */
export const weeklyReport: { week: string; rows: readonly ReportRow[] } = {
  week: 'Week 23',
  rows: [
    { team: 'Platform', completed: 42, open: 7, cycleDays: 2.1 },
    { team: 'Mobile', completed: 31, open: 12, cycleDays: 3.4 },
    { team: 'Web', completed: 38, open: 5, cycleDays: 1.8 },
    { team: 'Design', completed: 19, open: 4, cycleDays: 2.6 },
  ],
};

export interface Todo {
  id: number;
  title: string;
  done: boolean;
}

/** Every new visitor of /app starts from these todos (2 of them left to do). */
export function seedTodos(): Todo[] {
  return [
    { id: 1, title: 'Write release notes', done: false },
    { id: 2, title: 'Review pull request #42', done: true },
    { id: 3, title: 'Book the team retro', done: false },
  ];
}

export const contactTopics = [
  { value: 'sales', label: 'Sales' },
  { value: 'support', label: 'Support' },
  { value: 'billing', label: 'Billing' },
  { value: 'feedback', label: 'Feedback' },
] as const;
