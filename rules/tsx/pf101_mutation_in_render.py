"""PF101 mutation-in-render: sorting (or otherwise mutating) data the component does not own while rendering."""

from __future__ import annotations

from perfscan.facts import tsx as model
from perfscan.findings import Fix, TextEdit
from perfscan.rule import Rule, flag, ok

# Methods that change the array they are called on.
IN_PLACE_METHODS = {
    "sort": "sorts",
    "reverse": "reverses",
    "splice": "splices",
    "fill": "fills",
    "copyWithin": "overwrites (with `copyWithin`)",
}
# Growing/shrinking methods: common (and fine) on local arrays, so only reported on props and state.
GROWING_METHODS = {"push": "pushes onto", "pop": "pops from", "shift": "shifts", "unshift": "unshifts onto"}
GROWING_KINDS = frozenset({model.PROP, model.STATE, model.REDUCER_STATE})
REPORTED_KINDS = frozenset(
    {model.PROP, model.STATE, model.REDUCER_STATE, model.CONTEXT, model.STORE, model.HOOK_RESULT, model.HOOK_PARAM}
)
MODULE_DATA = frozenset({model.FRESH_ARRAY, model.FRESH_OBJECT})


class MutationInRender(Rule):
    code = "PF101"
    name = "mutation-in-render"
    languages = frozenset({"tsx"})
    level = "warning"
    hot_path_only = True  # render work in a test or a story costs no user anything (analyzer/test_paths.py)
    tags = ("react", "render", "correctness")
    summary = "An array the component does not own (props, state, context, store, module data) is mutated in place during render."

    what_it_does = """
        Finds in-place array mutations — `sort()`, `reverse()`, `splice()`, `fill()`, `copyWithin()`,
        and `push()`/`pop()`/`shift()`/`unshift()` on props or state — that run *during render*
        (a component body, a class `render()`, a custom hook body, a `useMemo` callback or a
        `useState` lazy initializer, or an array callback inside them) on data the component does not own: props, `useState` /
        `useReducer` state, context values, store selections (`useSelector`, `useXStore(...)`),
        other hooks' results, a custom hook's parameters, or module-level arrays.

        Fresh copies (`[...users]`, `users.slice()`, `Array.from(users)`, `.map()`/`.filter()`
        results, `Object.keys()`), arrays the component created itself, and code in event
        handlers or effects are not reported.

        The finding points at the method name (`.sort`).
    """
    why_slow = """
        React relies on referential identity: a parent passes an array, `memo` children and
        hook dependency arrays compare it with `Object.is`. Sorting it in place changes the
        parent's data behind its back while the reference stays the same, so memoized children
        and `useMemo` caches never see the change, and the next render sorts the already sorted
        array again — `O(n log n)` work on every render, on every instance. Mutating state or a
        store bypasses their update path (no re-render, stale subscribers), and mutating a
        module-level array changes it for every component that reads it. In StrictMode and
        concurrent rendering, render may run twice or be thrown away, so the mutation happens
        more often than the code suggests.
    """
    how_to_measure = """
        - React DevTools Profiler: record an interaction and look at the component's render
          time; a sort on a large list shows up as a steady cost on every commit.
        - Wrap the sort in `console.time("sort")` / `console.timeEnd("sort")` to see its cost per render.
        - Render under `<React.StrictMode>`: the double render makes `reverse()` visibly flip the
          list back, and makes the parent's data change unexpectedly.
    """
    use_instead = """
        Copy before mutating and use the result: `[...users].sort(byName)`, or the non-mutating
        `users.toSorted(byName)` / `toReversed()` / `toSpliced()` (ES2023). If the list is large,
        wrap the sorted copy in `useMemo(() => [...users].sort(byName), [users])` so it is sorted
        only when `users` changes. Update state through its setter with a new array
        (`setItems([...items, item])`).
    """

    examples = (
        flag(
            """
            export function UserList({ users }: { users: User[] }) {
              const sorted = users.sort(byName);
              return <ul>{sorted.map((u) => <li key={u.id}>{u.name}</li>)}</ul>;
            }
            """,
            (2, 24),
            shown=True,
            fixed="""
            export function UserList({ users }: { users: User[] }) {
              const sorted = [...users].sort(byName);
              return <ul>{sorted.map((u) => <li key={u.id}>{u.name}</li>)}</ul>;
            }
            """,
        ),
        flag(
            """
            function Table(props) {
              return <tbody>{props.rows.reverse().map((r) => <Row key={r.id} row={r} />)}</tbody>;
            }
            """,
            (2, 29),
            fixed="""
            function Table(props) {
              return <tbody>{[...props.rows].reverse().map((r) => <Row key={r.id} row={r} />)}</tbody>;
            }
            """,
        ),
        flag(
            """
            class Leaderboard extends React.Component<Props> {
              render() {
                const { scores } = this.props;
                scores.sort((a, b) => b.points - a.points);
                return <ol>{scores.map((s) => <li key={s.id}>{s.name}</li>)}</ol>;
              }
            }
            """,
            (4, 12),
        ),
        flag(
            """
            class Feed extends React.PureComponent<Props> {
              render() {
                return <List items={this.props.items.sort(byDate)} />;
              }
            }
            """,
            (3, 42),
        ),
        flag(
            """
            function Todos() {
              const [todos, setTodos] = useState<Todo[]>([]);
              const visible = todos.sort((a, b) => a.due - b.due);
              return <TodoList todos={visible} onChange={setTodos} />;
            }
            """,
            (3, 25),
        ),
        flag(
            """
            function Cart() {
              const [items, setItems] = useState<Item[]>([]);
              items.push(FREE_GIFT);
              return <CartView items={items} onChange={setItems} />;
            }
            """,
            (3, 9),
        ),
        flag(
            """
            function Members() {
              const { members } = useContext(TeamContext);
              members.sort(byName);
              return <MemberGrid members={members} />;
            }
            """,
            (3, 11),
        ),
        flag(
            """
            function Inbox() {
              const messages = useSelector((state: RootState) => state.inbox.messages);
              const newestFirst = messages.reverse();
              return <MessageList messages={newestFirst} />;
            }
            """,
            (3, 32),
            fixed="""
            function Inbox() {
              const messages = useSelector((state: RootState) => state.inbox.messages);
              const newestFirst = [...messages].reverse();
              return <MessageList messages={newestFirst} />;
            }
            """,
        ),
        flag(
            """
            const COUNTRIES = ["Peru", "Chile", "Austria"];

            export function CountrySelect() {
              return <select>{COUNTRIES.sort().map((c) => <option key={c}>{c}</option>)}</select>;
            }
            """,
            (4, 29),
        ),
        flag(
            """
            function Products({ products, sortKey }) {
              const ordered = useMemo(() => products.sort((a, b) => a[sortKey] - b[sortKey]), [products, sortKey]);
              return <Grid products={ordered} />;
            }
            """,
            (2, 42),
        ),
        flag(
            """
            export function useSortedOrders(orders: Order[]) {
              orders.sort((a, b) => b.createdAt - a.createdAt);
              return orders;
            }
            """,
            (2, 10),
            path="src/hooks/useSortedOrders.ts",
        ),
        flag(
            """
            function Tags({ posts }) {
              return posts.map((post) => <TagList key={post.id} tags={post.tags.sort()} />);
            }
            """,
            (2, 69),
        ),
        flag(
            """
            function Playlist({ tracks }) {
              const list = tracks;
              list.splice(0, 1);
              return <Tracks tracks={list} />;
            }
            """,
            (3, 8),
        ),
        ok(
            """
            function UserList({ users }) {
              const sorted = [...users].sort(byName);
              const reversed = users.slice().reverse();
              const copy = Array.from(users).sort(byAge);
              return <Table rows={sorted} alt={reversed} other={copy} />;
            }
            """,
            why="sorting a fresh copy is the recommended fix",
            shown=True,
        ),
        ok(
            """
            function Results({ results }) {
              const top = results.filter((r) => r.score > 0.5).sort(byScore);
              const names = results.map((r) => r.name).sort();
              const keys = Object.keys(results[0] ?? {}).sort();
              return <List items={top} names={names} keys={keys} />;
            }
            """,
            why="filter/map/Object.keys return new arrays",
        ),
        ok(
            """
            function Board({ cards }) {
              const handleShuffle = () => {
                cards.sort(() => Math.random() - 0.5);
              };
              return <button onClick={() => cards.reverse()}>Shuffle</button>;
            }
            """,
            why="mutations in event handlers run on user action, not during render",
        ),
        ok(
            """
            function Chart({ points }) {
              const [series, setSeries] = useState<Point[]>([]);
              useEffect(() => {
                const next = points.slice();
                next.sort(byX);
                series.push(...next);
              }, [points]);
              return <Canvas data={series} />;
            }
            """,
            why="code inside effects does not run during render",
        ),
        ok(
            """
            export function sortByName(users: User[]) {
              return users.sort((a, b) => a.name.localeCompare(b.name));
            }
            """,
            why="a plain utility function is not a component or hook; callers decide what they pass",
            path="src/utils/sort.ts",
        ),
        ok(
            """
            function Breadcrumbs({ path }) {
              const parts: string[] = [];
              for (const segment of path.split("/")) parts.push(segment);
              parts.reverse();
              const crumbs = path.split("/").reverse();
              return <Nav parts={parts} crumbs={crumbs} />;
            }
            """,
            why="arrays the component created itself (a literal, `str.split`) are its own",
        ),
        ok(
            """
            function Scores({ scores }) {
              const ranked = scores.toSorted((a, b) => b - a);
              const latest = scores.toReversed();
              return <Ranking ranked={ranked} latest={latest} />;
            }
            """,
            why="`toSorted`/`toReversed` return copies",
        ),
        ok(
            """
            function Orders({ orders }) {
              const byDate = orders.map((o) => ({ ...o, at: new Date(o.at) })).sort((a, b) => +a.at - +b.at);
              return <OrderTable orders={byDate} />;
            }
            """,
            why="sorting the result of `.map()` sorts a new array",
        ),
        ok(
            """
            function Log({ entries }) {
              const lines = useMemo(() => {
                const copy = [...entries];
                copy.reverse();
                return copy;
              }, [entries]);
              const load = useCallback(async () => {
                const data = await fetchMore();
                entries.push(...data);
              }, [entries]);
              return <Lines lines={lines} onMore={load} />;
            }
            """,
            why="a useMemo copy is owned; useCallback bodies run when called, not during render",
        ),
        flag(
            """
            function Kanban({ columns }) {
              for (const column of columns) {
                column.cards.sort(byRank);
              }
              return <Board columns={columns} />;
            }
            """,
            (3, 18),
        ),
        ok(
            """
            function Feed({ posts }) {
              let visible = posts;
              visible = visible.filter((p) => !p.hidden);
              visible.sort(byDate);
              return <PostList posts={visible} />;
            }
            """,
            why="the name was reassigned to a filtered copy before the sort",
        ),
        flag(
            """
            function Picker({ options }) {
              const [ordered] = useState(() => options.sort(byLabel));
              return <Select options={ordered} />;
            }
            """,
            (2, 44),
        ),
        ok(
            """
            function Queue({ jobs }) {
              const pending = jobs.filter((j) => !j.done);
              pending.push(placeholder);
              setTimeout(() => jobs.sort(byPriority), 0);
              fetchJobs().then((next) => next.sort(byPriority));
              return <JobList jobs={pending} />;
            }
            """,
            why="pushing onto a local filtered copy; timers and promise callbacks do not run during render",
        ),
    )

    def check(self, ctx):
        facts = ctx.facts
        for call in facts.calls:
            # The facts' cached callee name is the method name for `x.sort()`
            # (`Array.from`-style names keep their owner: checked below).
            name = facts._callee_name(call)
            if name is None or ("." not in name and name not in IN_PLACE_METHODS and name not in GROWING_METHODS):
                continue
            callee = model.unwrap(call.child_by_field_name("function"))
            if callee is None or callee.type != "member_expression":
                continue
            prop = callee.child_by_field_name("property")
            method = facts.text(prop)
            if method not in IN_PLACE_METHODS and method not in GROWING_METHODS:
                continue
            if facts.render_owner(call) is None:
                continue
            receiver = callee.child_by_field_name("object")
            binding = facts.root_binding(receiver)
            if binding is None or not _reported(binding, method):
                continue
            receiver_text = facts.text(receiver)
            verb = IN_PLACE_METHODS.get(method) or GROWING_METHODS[method]
            fix = None
            result_used = _result_used(facts, call)
            optional = any(child.type == "optional_chain" for child in callee.children)
            if method in ("sort", "reverse") and result_used and not optional:
                fix = Fix(
                    f"Copy `{receiver_text}` before calling `{method}()`",
                    (TextEdit(ctx.source.span(receiver), f"[...{receiver_text}]"),),
                )
            message = (
                f"{_capitalize(verb)} {_describe(binding, receiver_text)} in place during render: "
                f"{_consequence(binding)}. {_remedy(method, receiver_text, binding, result_used)}"
            )
            ctx.report(prop, message, fix=fix, properties={"source": binding.kind})


def _reported(binding, method: str) -> bool:
    if method in GROWING_METHODS:
        return binding.kind in GROWING_KINDS
    if binding.kind in REPORTED_KINDS:
        return True
    return binding.kind == model.MODULE and binding.value_kind in MODULE_DATA


def _result_used(facts, call) -> bool:
    if facts.is_chained(call):
        return True  # a method is called on it
    # One `.parent` per step: each is a walk down from the root, as deep as the call.
    parent = call.parent
    while parent is not None and parent.type in model.TRANSPARENT_TYPES:
        parent = parent.parent
    return parent is None or parent.type not in ("expression_statement", "sequence_expression")


def _capitalize(text: str) -> str:
    return text[:1].upper() + text[1:]


def _describe(binding, receiver_text: str) -> str:
    """`the `users` prop`, or `` `props.users` (the `users` prop)`` when the code names it differently."""
    source = binding.source or binding.name
    kind = binding.kind
    if not source and kind in (model.CONTEXT, model.STORE):
        # `useContext(Ctx).sort()`: the hook's result itself, named by the code quoted before it
        what = "context value" if kind == model.CONTEXT else "store selection"
        return f"`{receiver_text}` (a {what})"
    if kind == model.PROP:
        whole = f"the `{source}` prop"
    elif kind == model.STATE:
        whole = f"the `{source}` state"
    elif kind == model.REDUCER_STATE:
        whole = f"the reducer state `{source}`"
    elif kind == model.CONTEXT:
        whole = f"the `{source}` context value" + (f" from `{binding.via}`" if binding.via and binding.via != source else "")
    elif kind == model.STORE:
        whole = f"the `{source}` store selection" + (f" (from `{binding.via}`)" if binding.via else "")
    elif kind == model.HOOK_RESULT:
        whole = f"`{source}` returned by `{binding.via}()`" if source else f"the result of `{binding.via}()`"
    elif kind == model.HOOK_PARAM:
        whole = f"the hook parameter `{source}`"
    else:
        whole = f"the module-level array `{source}`"
    if binding.part:
        return f"`{receiver_text}` (part of {whole})"
    if receiver_text != source:
        return f"`{receiver_text}` ({whole})"
    return whole


def _consequence(binding) -> str:
    kind = binding.kind
    if kind == model.PROP:
        return "this mutates the parent's array, so the parent's data changes behind its back and memoized children and hook dependencies comparing it see no change"
    if kind in (model.STATE, model.REDUCER_STATE):
        return "this mutates React state directly, which React cannot see, and corrupts the value earlier renders hold"
    if kind == model.CONTEXT:
        return "this mutates the array every consumer of the context shares"
    if kind == model.STORE:
        return "this mutates the store's data outside its update path, so subscribers are not notified"
    if kind == model.HOOK_RESULT:
        return "this mutates data the hook owns (possibly a shared cache)"
    if kind == model.HOOK_PARAM:
        return "this mutates the caller's array, every time a component using the hook renders"
    return "this mutates an array shared by every render and every instance, redoing the work each time"


def _remedy(method: str, receiver_text: str, binding, result_used: bool) -> str:
    if method in ("sort", "reverse"):
        non_mutating = "toSorted" if method == "sort" else "toReversed"
        args = "(...)" if method == "sort" else "()"
        if result_used:
            return f"Copy it first (`[...{receiver_text}].{method}{args}`) or use `{non_mutating}{args}`, inside `useMemo` if the list is large."
        return (
            f"The call's result is unused, so copying alone would drop the effect: copy and use the result instead "
            f"(`const {method}ed = [...{receiver_text}].{method}{args}` or `{receiver_text}.{non_mutating}{args}`)."
        )
    if method in GROWING_METHODS and binding.kind in (model.STATE, model.REDUCER_STATE):
        return "Build a new array and pass it to the state setter (`setItems([...items, item])`), in a handler or effect, not in render."
    if method == "splice":
        return f"Use `{receiver_text}.toSpliced(...)` or work on a copy (`[...{receiver_text}]`)."
    return f"Work on a copy (`[...{receiver_text}]`) or build a new array (`[...{receiver_text}, item]`, `concat`)."
