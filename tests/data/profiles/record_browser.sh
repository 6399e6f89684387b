#!/bin/sh
# Records, in headless Chromium, fixtures/fullstack-demo's frontend served by Vite's dev server
# (React's development build, the demo's own src/main.tsx, the API stubbed in the page):
#   fullstack-frontend.cpuprofile           V8 CPU profile (DevTools protocol Profiler domain)
#   fullstack-react-profile.json            React DevTools Profiler export, profiling from
#                                           before the mount (names in `operations`)
#   fullstack-react-profile-after-mount.json  the same, profiling once the rows show
#                                           (names in `snapshots`)
# while selecting users, removing one and re-sorting the products (record_browser.mjs).
# Not run by the test suite. Needs node, npm (registry access) and Debian's chromium
# (apt-get install -y chromium); playwright-core drives /usr/bin/chromium (no browser download).
# Run from the repository top: sh tests/data/profiles/record_browser.sh
set -eu
here=tests/data/profiles
work=$(mktemp -d)
cp -r fixtures/fullstack-demo/frontend "$work/frontend"
cp "$here/record_browser.html" "$work/frontend/index.html"
cp "$here/record_browser_harness.ts" "$here/record_browser.vite.config.ts" "$here/record_browser.mjs" "$work/frontend/"
cd "$work/frontend"
npm install --no-audit --no-fund --silent react@18.3.1 react-dom@18.3.1 react-is@18.3.1 react-redux@9.1.2 \
    @reduxjs/toolkit@2.2.7 vite@5.4.3 @vitejs/plugin-react@4.3.1 react-devtools-inline@8.0.0 playwright-core@1.65.1
port=5199
node_modules/.bin/vite --config record_browser.vite.config.ts --port $port --strictPort >vite.log 2>&1 &
vite=$!
trap 'kill $vite' EXIT
sleep 3
node record_browser.mjs "http://localhost:$port/" "$work/fullstack-frontend.cpuprofile" \
    "$work/fullstack-react-profile.json" "$work/fullstack-react-profile-after-mount.json"
kill $vite
trap - EXIT
cd - >/dev/null
cp "$work/fullstack-frontend.cpuprofile" "$work/fullstack-react-profile.json" \
    "$work/fullstack-react-profile-after-mount.json" "$here/"
rm -rf "$work"
