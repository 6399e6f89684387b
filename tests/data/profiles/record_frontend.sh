#!/bin/sh
# Records tests/data/profiles/fullstack-frontend-ssr.cpuprofile: a real V8 CPU profile of
# fixtures/fullstack-demo's React components rendered by React 18 in Node (renderToString, no
# browser), bundled by esbuild with a source map. The map is kept in the fixture
# (frontend/static/demo-profile.cjs.map) and maps the bundle's positions back to the .tsx files.
# Needs node and network access to the npm registry; run from the repository top.
set -eu
work=$(mktemp -d)
cp -r fixtures/fullstack-demo/frontend "$work/frontend"
cp tests/data/profiles/record_frontend.tsx "$work/frontend/src/record_frontend.tsx"
(cd "$work" && npm install --no-audit --no-fund --silent react@18.3.1 react-dom@18.3.1 react-redux@9.1.2 \
    @reduxjs/toolkit@2.2.7 esbuild@0.23.1)
NODE_PATH="$work/node_modules" "$work/node_modules/.bin/esbuild" "$work/frontend/src/record_frontend.tsx" \
    --bundle --platform=node --format=cjs --jsx=automatic --sourcemap --sources-content=false \
    --tsconfig="$work/frontend/tsconfig.json" --external:react --external:react-dom --external:react-redux \
    --define:process.env.NODE_ENV='"production"' --outfile="$work/frontend/static/demo-profile.cjs"
(cd "$work/frontend/static" && NODE_ENV=production NODE_PATH="$work/node_modules" \
    node --cpu-prof --cpu-prof-name=demo.cpuprofile --cpu-prof-interval 200 demo-profile.cjs)
cp "$work/frontend/static/demo-profile.cjs.map" fixtures/fullstack-demo/frontend/static/demo-profile.cjs.map
cp "$work/frontend/static/demo.cpuprofile" tests/data/profiles/fullstack-frontend-ssr.cpuprofile
rm -rf "$work"
