// The demo's own Vite config, with hot reload off: then @vitejs/plugin-react leaves out React
// Refresh, whose runtime would install a stand-in DevTools hook before the real DevTools
// backend could (record_browser_harness.ts), and React would register with the stand-in.
import { mergeConfig } from "vite";
import demo from "./vite.config";

export default mergeConfig(demo, { server: { hmr: false } });
