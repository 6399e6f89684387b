"""`perfscan explain profile`: how to record each profile perfscan reads, in one line each."""

GUIDE = """\
# Measure first: recording a profile for `perfscan check --profile`

perfscan finds known anti-patterns without running anything. A profile says which of them
cost time in your program, and where time goes that no rule explains. Record one while the
slow thing happens, then:

    perfscan check . --profile app.prof

Each finding the profile covers shows its measured cost ("measured: 2.5 s, 83 % of the
profile, 100 calls") and the findings are listed most expensive first; functions holding more
than 5 % of the profile with no finding are listed as PF001 hot-spot notes. Profiles map to
the repository by path suffix, so one recorded in a container or on another machine works.
perfscan only reads profiles: nothing in them is run or imported.

## Python: a script or a command

    python -m cProfile -o app.prof script.py args...        # cProfile (standard library)
    pyinstrument -r json -o app.json script.py args...      # pyinstrument JSON
    py-spy record -f speedscope -o app.speedscope.json -- python script.py args...

## Python: a running web app (FastAPI, Django, Flask)

Attach to the server process while you replay the slow requests (no code change, works on a
production-like container; `--subprocesses` for a server with workers):

    py-spy record -f speedscope -o api.speedscope.json --pid $(pgrep -f "uvicorn app.main:app") --duration 30

Or run the server under a profiler for the length of a load test:

    python -m cProfile -o api.prof -m uvicorn app.main:app           # FastAPI / Starlette (stop with Ctrl-C)
    python -m cProfile -o api.prof manage.py runserver --noreload    # Django
    python -m cProfile -o api.prof -m flask --app app run            # Flask
    austin -o api.austin python -m uvicorn app.main:app; austin2speedscope api.austin api.speedscope.json

One request at a time, with pyinstrument's middleware: FastAPI / Starlette
(`pyinstrument.Profiler` around `call_next` in an `@app.middleware("http")`, then
`profiler.write_html`/`JSONRenderer` output), Django (`pyinstrument.middleware.ProfilerMiddleware`
with `PYINSTRUMENT_PROFILE_DIR`, renderer `pyinstrument.renderers.JSONRenderer`), Flask
(`before_request`/`after_request` starting and stopping a `Profiler`). Save the JSON renderer's
output as `request.json` and give it to `--profile`.

## React in the browser

- CPU: Chrome DevTools > Performance > record while you reproduce the slowness > "Save
  profile..." (a trace JSON), or DevTools > More tools > JavaScript Profiler > Save (a
  `.cpuprofile`). Record against the dev server (`npm run dev`: Vite and webpack serve
  `/src/...`, which maps to your files); a production bundle maps through its source map
  when the `.map` file is in the repository (`build.sourcemap: true` in vite.config).
- Renders: React DevTools > Profiler > record > the save icon ("Save profile...", a
  `profiling-data.json`): render counts and times per component, mapped to your components
  by name. Use a development build; component names are minified away in production.
- Node: `node --cpu-prof --cpu-prof-dir=prof script.js` writes a `.cpuprofile`.

## Before and after a fix

    python -m cProfile -o before.prof script.py
    # ... fix ...
    python -m cProfile -o after.prof script.py
    perfscan check . --profile before.prof --profile-compare after.prof

shows, per finding, the measured cost before and after ("after: 0.4 s, 12 % (-84 %)").
Other options: `--min-share 5` hides findings whose code holds under 5 % of the profile;
`--hot-spot-share 10` lists only hot spots over 10 %; `--ignore PF001` leaves them out.
JSON and SARIF carry the measurement in each result's `properties` (`perfscan/measured`),
and SARIF's `rank` (0-100, the share), which the VS Code SARIF Viewer sorts by.

## What is measured

- cProfile: the enclosing function's cumulative time, its share of the profile (the sum of
  every function's own time) and its call count. Own time: the function's code and the library
  code it calls (each library function's own time goes to the project function that called
  it); import machinery and module bodies are nobody's own time. cProfile measures wall-clock
  time (waiting on a socket or a sleep counts); the slower `profile` module measures CPU time.
- Sampled profiles (py-spy, Austin, pyinstrument, V8): time (or samples, for py-spy, which
  records no time) in which the function was on the stack; own time is the samples whose
  innermost project function it is. No call counts. Browser idle time is left out.
- React Profiler: renders and render time (the component and its subtree) over the commits.
- PF201 with a call chain: the cost of each project function of the chain as well.

Limits: profiles over 200 MB are refused (record a shorter window); a function the profile
names that is no function of the matched file is left out (a profile of another program maps
nothing), as is a name several functions of a file share when the profile gives no line.
"""
