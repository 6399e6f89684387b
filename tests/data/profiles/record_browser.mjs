// Drives headless Chromium (Debian's /usr/bin/chromium, through playwright-core) over the demo
// served by Vite's dev server and writes three real recordings of the same interaction:
//   argv[3]: a V8 CPU profile from the DevTools protocol's Profiler domain (what the
//            Performance panel samples), frames naming Vite's /src/... URLs;
//   argv[4], argv[5]: React DevTools Profiler exports ("Save profile..." format) from the
//            DevTools store's profiler, the page loaded with ?devtools=1 (see
//            record_browser_harness.ts): profiling from before the mount, and from after it.
// Usage: node record_browser.mjs http://localhost:PORT/ out.cpuprofile from-mount.json after-mount.json
import { writeFileSync } from "node:fs";
import { chromium } from "playwright-core";

const [base, cpuOut, reactFromMountOut, reactAfterMountOut] = process.argv.slice(2);
const ROWS = 400;
const EXPORT_VERSION = 5; // react-devtools-shared's PROFILER_EXPORT_VERSION

// Select 6 users (UserList and its 400 memoized rows render again each time), remove one
// (App, the Leaderboard and ProductGrid render again), then flip the product sort 4 times
// (ProductGrid sorts its 400 products again).
async function interact(page) {
  for (const index of [3, 40, 120, 7, 250, 399]) {
    await page.locator("section li span").nth(index).click();
    await page.waitForTimeout(60);
  }
  await page.locator("section li button").nth(10).click();
  await page.waitForTimeout(60);
  for (const key of ["rating", "price", "rating", "price"]) {
    await page.selectOption("select", key);
    await page.waitForTimeout(60);
  }
}

async function waitForRows(page) {
  await page.waitForFunction((rows) => document.querySelectorAll("section li").length === rows, ROWS);
  await page.waitForTimeout(300);
}

async function open(browser, query) {
  const page = await browser.newPage();
  page.on("pageerror", (error) => console.error("page error:", error));
  await page.goto(base + query);
  return page;
}

// Starts the Profiler before the demo mounts ("Reload and start profiling": every fiber's name
// is in the export's operations) or once it shows its rows (names in the snapshots), then
// interacts and saves what the Profiler recorded.
async function recordReactProfile(browser, out, fromMount) {
  const profiled = await open(browser, "?devtools=1");
  await profiled.waitForFunction(() => typeof window.mountDemo === "function");
  if (!fromMount) {
    await profiled.evaluate(() => window.mountDemo());
    await waitForRows(profiled);
  }
  await profiled.evaluate(() => window.profilerStore.startProfiling());
  // The store counts commits only once the backend has confirmed (no public getter for it).
  await profiled.waitForFunction(() => window.profilerStore._isBackendProfiling === true);
  if (fromMount) {
    await profiled.evaluate(() => window.mountDemo());
    await waitForRows(profiled);
  }
  await interact(profiled);
  await profiled.evaluate(() => window.profilerStore.stopProfiling());
  // The store asks the backend for its data after stopping; it arrives asynchronously.
  await profiled.waitForFunction(() => window.profilerStore.profilingData !== null);
  // What "Save profile..." writes: the store's data with its Maps as [key, value] arrays.
  const exported = await profiled.evaluate((version) => {
    const entries = (map) => (map == null ? null : Array.from(map.entries()));
    const dataForRoots = [];
    window.profilerStore.profilingData.dataForRoots.forEach((root) => {
      dataForRoots.push({
        commitData: root.commitData.map((commit) => ({
          changeDescriptions: entries(commit.changeDescriptions),
          duration: commit.duration,
          effectDuration: commit.effectDuration,
          fiberActualDurations: entries(commit.fiberActualDurations),
          fiberSelfDurations: entries(commit.fiberSelfDurations),
          passiveEffectDuration: commit.passiveEffectDuration,
          priorityLevel: commit.priorityLevel,
          timestamp: commit.timestamp,
          updaters: commit.updaters,
        })),
        displayName: root.displayName,
        initialTreeBaseDurations: entries(root.initialTreeBaseDurations),
        operations: root.operations,
        rootID: root.rootID,
        snapshots: entries(root.snapshots),
      });
    });
    return { version, dataForRoots };
  }, EXPORT_VERSION);
  writeFileSync(out, JSON.stringify(exported));
  await profiled.close();
}

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  // playwright gives the browser a new empty user data directory of its own.
});
try {
  const page = await open(browser, "");
  await waitForRows(page);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Profiler.enable");
  await cdp.send("Profiler.setSamplingInterval", { interval: 250 });
  await cdp.send("Profiler.start");
  await interact(page);
  const { profile } = await cdp.send("Profiler.stop");
  writeFileSync(cpuOut, JSON.stringify(profile));
  await page.close();

  await recordReactProfile(browser, reactFromMountOut, true);
  await recordReactProfile(browser, reactAfterMountOut, false);
} finally {
  await browser.close();
}
