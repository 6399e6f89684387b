// Renders fixtures/fullstack-demo's components with many rows, so `node --cpu-prof` records
// where React spends the time. Built and run by record_frontend.sh (see there).
import { renderToString } from "react-dom/server";
import { Leaderboard, ProductGrid, UserList } from "@/components";
import type { Product, User } from "@/types";

const users: User[] = Array.from({ length: 2000 }, (_, i) => ({
  id: i,
  name: `user ${(i * 7919) % 2000}`,
  email: `u${i}@example.com`,
  lastSeen: `2026-11-${String(1 + (i % 28)).padStart(2, "0")}`,
}));
const scores = Object.fromEntries(users.map((u) => [u.id, u.name.length * (u.id % 13)]));
const products: Product[] = Array.from({ length: 2000 }, (_, i) => ({
  id: i,
  title: `product ${i}`,
  price: (i * 37) % 1000,
  rating: (i * 11) % 5,
}));

for (let round = 0; round < 60; round++) {
  renderToString(
    <>
      <UserList users={[...users].reverse()} onRemove={() => undefined} />
      <Leaderboard users={[...users]} scores={scores} />
      <ProductGrid products={[...products]} />
    </>,
  );
}
