// Loaded by record_browser.html before the demo's own src/main.tsx. No backend runs while
// recording: fetch answers the demo's two GETs with generated users and products. With
// ?devtools=1 the React DevTools backend is installed before React DOM loads (it must be, to see
// the renderer) and a DevTools store is connected to it, so the recorder can start and stop
// the Profiler the way the Profiler tab does.
const USERS = 400;
const PRODUCTS = 400;

const users = Array.from({ length: USERS }, (_, i) => ({
  id: i,
  name: `user ${(i * 7919) % USERS}`,
  email: `u${i}@example.com`,
  lastSeen: `2026-11-${String(1 + (i % 28)).padStart(2, "0")}`,
}));
const products = Array.from({ length: PRODUCTS }, (_, i) => ({
  id: i,
  title: `product ${i}`,
  price: (i * 37) % 1000,
  rating: (i * 11) % 5,
}));
const stubbed: Record<string, unknown> = { "/api/users": users, "/api/products": products };

window.fetch = async (input: RequestInfo | URL) => {
  const path = new URL(String(input), location.href).pathname;
  const body = stubbed[path];
  return body === undefined
    ? new Response("not stubbed", { status: 404 })
    : new Response(JSON.stringify(body), { headers: { "Content-Type": "application/json" } });
};

declare global {
  interface Window {
    profilerStore?: any;
    mountDemo?: () => Promise<unknown>;
  }
}

async function start() {
  if (new URLSearchParams(location.search).has("devtools")) {
    const backend = await import("react-devtools-inline/backend");
    backend.initialize(window);
    // The frontend bundle imports React DOM: only now, after the backend's hook is in place.
    const frontend = await import("react-devtools-inline/frontend");
    // Two in-page "walls" (DevTools' documented custom wall), crossed: what the frontend
    // sends reaches the backend's listeners and the other way round.
    type Listener = (message: { event: string; payload: unknown }) => void;
    const frontendListeners: Listener[] = [];
    const backendListeners: Listener[] = [];
    const wallTo = (ownListeners: Listener[], peerListeners: Listener[]) => ({
      listen(listener: Listener) {
        ownListeners.push(listener);
        return () => ownListeners.splice(ownListeners.indexOf(listener), 1);
      },
      send(event: string, payload: unknown) {
        peerListeners.forEach((listener) => listener({ event, payload }));
      },
    });
    const bridge = frontend.createBridge(window, wallTo(frontendListeners, backendListeners));
    const store = frontend.createStore(bridge);
    // Not rendered: initialize also answers the backend's request for the saved preferences
    // (DevTools' default component filters), which the backend waits for before it attaches.
    frontend.initialize(window, { bridge, store });
    backend.activate(window, { bridge: backend.createBridge(window, wallTo(backendListeners, frontendListeners)) });
    window.profilerStore = store.profilerStore;
    // React DOM has registered with the backend by now; the demo mounts when the recorder calls
    // mountDemo, before or after it starts profiling (with the mount profiled, the names of the
    // fibers are in the export's `operations`, not in its snapshots).
    await import("react-dom/client");
    window.mountDemo = () => import("/src/main.tsx");
    return;
  }
  await import("/src/main.tsx");
}

start();
