"""Per-file database facts for Python: ORM models declared here and the
database round trips (queries) made here. Built once per file on top of
`PythonFacts` (cached on it: `db_facts(facts)`), with one extra query pass
(`grammars/queries/python/db.scm`).

- `models`: SQLAlchemy declarative classes (columns, `ForeignKey`s,
  `relationship()` with `lazy=`, `Mapped[...]` targets, indexes from
  `__table_args__`) and Django models (relation fields, `related_name`,
  `db_index`). They go into the summary; `analyzer/models.py` joins them into
  one model index per run.
- `queries`: calls that execute SQL: SQLAlchemy sessions (`execute`,
  `scalars`, `scalar`, `get`, SQLModel's `exec`, legacy `query(...).all()`...), Django managers
  and querysets (`Model.objects.get(...)`, evaluated `filter(...)`), raw
  cursors. Each is a `Query` with its chain of methods, the model it reads,
  the relationships it eager-loads and the loops around it.

How a receiver is known to be a session: its inferred type (annotation,
`Depends`, `sessionmaker()` results, `with Session(engine) as s`); a type
from another project module (`session: SessionDep`, an `Annotated[Session, ...]`
alias there) makes its queries `pending` until the project index settles them
(analyzer/models.py `project_db_facts`); and as a documented fallback a name that is almost
always a session (`session`, `db_session`, `db`) used with a session-only method shape.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Optional

from perfscan import grammars

SESSION_TYPES = frozenset(
    {
        "sqlalchemy.orm.Session",
        "sqlalchemy.orm.session.Session",
        "sqlalchemy.orm.scoped_session",
        "sqlalchemy.orm.scoping.scoped_session",
        "sqlalchemy.ext.asyncio.AsyncSession",
        "sqlalchemy.ext.asyncio.session.AsyncSession",
        "sqlalchemy.ext.asyncio.async_scoped_session",
        "sqlmodel.Session",
        "sqlmodel.ext.asyncio.session.AsyncSession",
        "sqlalchemy.engine.Connection",
        "sqlalchemy.engine.base.Connection",
        "sqlalchemy.ext.asyncio.AsyncConnection",
    }
)
SESSIONMAKER_TYPES = frozenset(
    {
        "sqlalchemy.orm.sessionmaker",
        "sqlalchemy.orm.session.sessionmaker",
        "sqlalchemy.ext.asyncio.async_sessionmaker",
        "sqlalchemy.orm.scoped_session",
        "sqlalchemy.ext.asyncio.async_scoped_session",
    }
)
# Fallback: names that are a database session in practice.
SESSION_NAMES = frozenset({"session", "db_session", "db", "dbsession", "async_session", "db_sess", "sess"})
# Methods on a session that make one round trip each.
SESSION_ROUND_TRIPS = frozenset(
    {"execute", "exec", "scalars", "scalar", "get", "get_one", "refresh", "stream", "stream_scalars", "merge"}
)
# SQLModel's `session.exec(statement)`: `execute` returning scalars for a one-entity `select(User)`.
STATEMENT_RUNNERS = ("execute", "exec", "scalars", "scalar", "stream", "stream_scalars")
# Legacy `session.query(...)` terminals that run the statement.
QUERY_EXECUTORS = frozenset(
    {"all", "first", "one", "one_or_none", "scalar", "count", "get", "delete", "update", "exists", "fetchall"}
)
DJANGO_EXECUTORS = frozenset(
    {
        "get", "first", "last", "count", "exists", "aggregate", "in_bulk", "get_or_create", "update_or_create",
        "create", "update", "delete", "earliest", "latest", "contains",
        "aget", "afirst", "alast", "acount", "aexists", "aaggregate", "ain_bulk", "aget_or_create",
        "aupdate_or_create", "acreate", "aupdate", "adelete",
    }
)  # fmt: skip
DJANGO_MANAGERS = frozenset({"objects", "_default_manager", "_base_manager"})
RAW_CURSOR_NAMES = frozenset({"cursor", "cur"})
RAW_CURSOR_TYPES = frozenset({"sqlite3.Cursor", "psycopg2.extensions.cursor", "psycopg.Cursor", "pymysql.cursors.Cursor"})
ASYNCPG_TYPES = frozenset({"asyncpg.Connection", "asyncpg.connection.Connection", "asyncpg.Pool", "asyncpg.pool.Pool"})
ASYNCPG_ROUND_TRIPS = frozenset({"fetch", "fetchrow", "fetchval", "execute"})
LOADER_OPTIONS = frozenset(
    {"selectinload", "joinedload", "subqueryload", "contains_eager", "immediateload", "raiseload", "noload", "lazyload"}
)
# Loader options that load the relationship up front (lazyload does not).
EAGER_OPTIONS = LOADER_OPTIONS - {"lazyload"}
# Markers of a deliberately chunked / paginated query. `limit` alone is not one: `.limit(1)` per
# row is still one query per row (pages have an `offset`, a slice start or a paginating loop).
BATCH_METHODS = frozenset({"yield_per", "iterator", "offset", "partitions", "slice", "paginate"})
# Django calls whose result is no longer a queryset (a model, a dict, a list, a number): a later
# `.get(...)` on it is a dict or list lookup, not a query, and its elements are loaded rows.
DJANGO_RESULTS = frozenset(
    {"get", "first", "last", "count", "exists", "aggregate", "in_bulk", "get_or_create", "update_or_create",
     "create", "update", "delete", "earliest", "latest", "bulk_create", "bulk_update", "aget", "afirst", "alast",
     "acount", "aexists", "aaggregate", "ain_bulk", "aget_or_create", "aupdate_or_create", "acreate",
     "abulk_create", "abulk_update"}
)  # fmt: skip
# Queryset methods that return a queryset (anything else on a manager returns a result).
QUERYSET_METHODS = frozenset(
    {"all", "filter", "exclude", "order_by", "select_related", "prefetch_related", "annotate", "alias", "values",
     "values_list", "distinct", "only", "defer", "using", "reverse", "none", "union", "intersection", "difference",
     "select_for_update", "extra", "dates", "datetimes", "restrict", "iterator", "complex_filter"}
)  # fmt: skip
# Calls that copy an iterable's elements: `list(qs)` has the rows of `qs`.
MATERIALISING_CALLS = frozenset({"builtins.list", "builtins.tuple", "builtins.sorted", "builtins.reversed"})
_MANAGER_NAME = re.compile(rb"\b(?:" + b"|".join(m.encode() for m in sorted(DJANGO_MANAGERS)) + rb")\b")
# What the first step of a non-Django query chain can be (see classify_call).
_FIRST_STEPS_OF_QUERIES = SESSION_ROUND_TRIPS | {"query", "execute", "fetch", "fetchrow", "fetchval"}
SQLA_PREFIXES = ("sqlalchemy", "sqlmodel", "flask_sqlalchemy")


@dataclass(eq=False, slots=True)
class Step:
    name: str
    call: object  # the call node, or None for a plain attribute (`.objects`)


@dataclass(eq=False, slots=True)
class Query:
    """A database round trip at `node` (report there)."""

    node: object
    kind: str  # sqlalchemy | sqlalchemy-legacy | django | raw
    method: str  # the method that runs it: execute, all, get...
    steps: tuple  # the whole chain of Step, root first (through local assignments)
    model: Optional[str] = None  # qualified name of the entity read, when known
    loaded: frozenset = frozenset()  # relationships eager-loaded by options
    load_all: bool = False  # Django `select_related()` without arguments
    prefetched: frozenset = frozenset()  # Django prefetch_related names
    batched: bool = False  # yield_per / iterator / offset / limit / slicing
    call: object = None  # CallFact of `node`, when it is a call
    write: bool = False
    # When the receiver is a session only if the project says so (`session: SessionDep`, an alias
    # imported from another module): the session reference `session_kind` settles, else None.
    pending: Optional[tuple] = None

    @property
    def method_names(self) -> tuple:
        return tuple(s.name for s in self.steps)


@dataclass(eq=False)
class DbFacts:
    facts: object
    models: list = field(default_factory=list)  # plain dicts (see _model_record)
    queries: list = field(default_factory=list)
    assignments: dict = field(default_factory=dict)  # (scope key, name) -> [(pos, value node, assignment node)]
    assigned_names: set = field(default_factory=set)  # the names in `assignments`, in any scope
    # Names whose assigned value, followed through other such names, may name a manager or
    # `query` (`_may_be_query`): a chain rooted elsewhere is not followed.
    query_roots: set = field(default_factory=set)
    loops: list = field(default_factory=list)  # for_statement / for_in_clause nodes
    queries_by_node: dict = field(default_factory=dict)
    uses_sqlalchemy: bool = False
    uses_django: bool = False
    # Whether a chain through local assignments can matter here: a Django
    # manager attribute (`.objects`) is named in the file, or the tree has errors.
    may_follow: bool = True
    # Ids of calls whose result is the receiver of another call (`x.a()` in `x.a().b()`), found
    # from the outer calls down: asking each call's parent is a walk from the root each time.
    chained: set = field(default_factory=set)
    # Queries whose receiver may be a session by a type declared in another file
    # (`Query.pending`): not in `queries` until the project index settles them (`settled`).
    pending: list = field(default_factory=list)
    # In a view the project settled (`settled`): ref -> whether it is a session; None in the file's own facts.
    settle: object = None

    def text(self, node) -> str:
        return self.facts.source.node_text(node)

    def attributes_in(self, node) -> list:
        """Attribute nodes inside `node`, in source order: one query over that
        subtree, asked for only where a loop reads rows of a known model."""
        found = grammars.captures("python", "attributes", node).get("attribute", [])
        return sorted(found, key=attrgetter("start_byte"))

    def assigned_value(self, name: str, at_node):
        """The value last assigned to local `name` before `at_node` in its scope."""
        if name not in self.assigned_names:
            return None  # most chain roots (`self`, modules, parameters): no scope walk up the tree
        key = self.facts._binding_key(at_node)
        entries = self.assignments.get((key, name), ())
        before = [e for e in entries if e[0] < at_node.start_byte and not _contains(e[2], at_node)]
        return before[-1][1] if before else None

    def settled(self, is_session_ref) -> "DbFacts":
        """A view of these facts with the pending queries whose session reference
        `is_session_ref(ref)` accepts (the project index answers: analyzer/models.py
        `project_db_facts`); receivers typed like them count as sessions in it too."""
        view = copy.copy(self)
        view.settle = is_session_ref
        found = [q for q in self.pending if is_session_ref(q.pending)]
        if found:
            view.queries = sorted([*self.queries, *found], key=lambda q: q.node.start_byte)
            view.queries_by_node = {**self.queries_by_node, **{q.node.id: q for q in found}}
        return view


def db_facts(facts) -> DbFacts:
    """The database facts of a file, built once and cached on its PythonFacts (without the
    pending queries the project settles: `analyzer/models.py` `project_db_facts`)."""
    return facts.derived("db", _build)


def db_summary(facts) -> dict:
    """What other files need: models, and per function the queries it runs. A pending query
    (`Query.pending`) carries its session reference, for the index to settle (analyzer/models.py)."""
    db = db_facts(facts)
    functions = {}
    for query in sorted([*db.queries, *db.pending], key=lambda q: q.node.start_byte) if db.pending else db.queries:
        scope = query.call.scope if query.call is not None else facts.scope_at(query.node)
        if scope is None:
            continue
        span = facts.source.span(query.node)
        text = " ".join(db.text(query.node).split())
        entry = (span.line, span.col, span.end_line, span.end_col, text[:80])
        functions.setdefault(scope.qualname, []).append(entry + (list(query.pending),) if query.pending else entry)
    depends = sorted(
        {(f.qualname, p.depends) for f in facts.functions for p in f.params if facts.may_depend(p) and p.depends}
    )
    return {"models": db.models, "query_functions": functions, "depends": [list(d) for d in depends]}


# -- building -------------------------------------------------------------------


def names_manager_attribute(data: bytes) -> bool:
    """Whether a Django manager (`.objects`) may be named as an attribute anywhere in `data`: the
    name preceded by a dot, past spaces, line continuations and comment-only lines.

    A quick over-approximation (a `#` inside a string counts as a comment) on the raw bytes.
    It walks back from each name instead of matching forward from each dot: a single regex
    for it rescans a comment from every dot inside the comment (quadratic), and one version
    backtracked exponentially through a banner of `#`. Each walk stops at the first line of
    code, so every line is walked at most once per name that follows it.
    """
    for match in _MANAGER_NAME.finditer(data):
        end = match.start()
        line_start = data.rfind(b"\n", 0, end) + 1
        before = data[line_start:end].rstrip()
        while not before:  # the name starts its line: look at the lines above
            if line_start == 0:
                break
            end = line_start - 1
            line_start = data.rfind(b"\n", 0, end) + 1
            line = data[line_start:end].rstrip()
            if line.endswith(b"\\"):
                before = line[:-1].rstrip()
            else:
                before = line.split(b"#", 1)[0].rstrip()
        if before.endswith(b"."):
            return True
    return False


def _build(facts) -> DbFacts:
    db = DbFacts(facts)
    roots = {t.split(".", 1)[0] for t in facts.imports.values()}
    db.uses_sqlalchemy = bool(roots & {"sqlalchemy", "sqlmodel", "flask_sqlalchemy"})
    db.uses_django = "django" in roots
    db.may_follow = facts.source.tree.root_node.has_error or names_manager_attribute(facts.source.data)
    candidates = getattr(facts, "db_candidates", None)
    if candidates is not None:  # captured in the facts query pass
        found = candidates
        facts.db_candidates = None  # read once: not kept with the held facts
    else:
        found = grammars.captures("python", "db", facts.source.tree.root_node)
    for node in found.get("assignment", ()):
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if left is None or right is None:
            continue
        key = facts._binding_key(node)
        if left.type == "identifier":
            db.assignments.setdefault((key, db.text(left)), []).append((node.start_byte, right, node))
        elif left.type in ("pattern_list", "tuple_pattern", "list_pattern"):
            # `a, b = pair`: each name derives from the whole value (enough for taint)
            for name in facts._target_names(left):
                db.assignments.setdefault((key, db.text(name)), []).append((node.start_byte, right, node))
    for entries in db.assignments.values():
        entries.sort(key=lambda e: e[0])
    db.assigned_names = {name for _, name in db.assignments}
    db.query_roots = _query_roots(db)
    db.loops = sorted(list(found.get("for", ())) + list(found.get("for_in", ())), key=lambda n: n.start_byte)
    for qualname, node in facts.classes.items():
        record = _model_record(db, qualname, node)
        if record is not None:
            db.models.append(record)
    _module_level_indexes(db)
    for call in facts.calls:
        function = call.function
        receiver = unwrap(function.child_by_field_name("object")) if function is not None and function.type == "attribute" else None
        if receiver is not None and receiver.type == "call":
            db.chained.add(receiver.id)
    for call in facts.calls:
        query = classify_call(db, call)
        if query is not None and query.pending is not None:
            db.pending.append(query)
        elif query is not None:
            db.queries.append(query)
            db.queries_by_node[query.node.id] = query
    return db


def _contains(outer, inner) -> bool:
    return outer.start_byte <= inner.start_byte and inner.end_byte <= outer.end_byte


def unwrap(node):
    while node is not None and node.type in ("parenthesized_expression", "await") and node.named_children:
        node = node.named_children[0]
    return node


def outer_parent(node):
    """The parent of `node`, skipping parentheses and `await`."""
    parent = node.parent
    while parent is not None and parent.type in ("parenthesized_expression", "await"):
        parent = parent.parent
    return parent


def chain_of(db: DbFacts, node, follow: int = 3):
    """(root node, [Step...]) of a method chain, following local assignments
    of the root (`stmt = select(X)...; session.execute(stmt)` is not a chain,
    but `qs = X.objects.filter(); qs.first()` is)."""
    steps = []
    current = unwrap(node)
    while current is not None:
        if current.type == "call":
            function = current.child_by_field_name("function")
            if function is not None and function.type == "attribute":
                steps.append(Step(db.text(function.child_by_field_name("attribute")), current))
                current = unwrap(function.child_by_field_name("object"))
                continue
            break
        if current.type == "attribute":
            steps.append(Step(db.text(current.child_by_field_name("attribute")), None))
            current = unwrap(current.child_by_field_name("object"))
            continue
        if current.type == "subscript":
            steps.append(Step("[]", current))
            current = unwrap(current.child_by_field_name("value"))
            continue
        if current.type == "identifier" and follow > 0 and steps:
            value = db.assigned_value(db.text(current), current)
            if value is not None and unwrap(value).type in ("call", "attribute", "subscript"):
                root, earlier = chain_of(db, value, follow - 1)
                if earlier:
                    return root, earlier + steps[::-1]
        break
    return current, steps[::-1]


def class_rooted(root, steps, first_names=DJANGO_MANAGERS | {"query"}):
    """`models.User.objects.filter(...)`: a model reached through its module. The chain's root
    is then `models.User` and its first step the manager (or Flask-SQLAlchemy's `query`)."""
    for i, step in enumerate(steps[:-1]):
        if step.call is not None or step.name == "[]":
            break
        if step.name in first_names:
            node = root
            for _ in range(i):
                parent = node.parent
                if parent is None or parent.type != "attribute":
                    return root, steps
                node = parent
            return node, steps[i:]
    return root, steps


def _chain_ends(db: DbFacts, node) -> tuple[Optional[str], object]:
    """(`chain_of(db, node, follow=0)[1][0].name` or None for no steps, the chain's root),
    without building the chain: only the innermost step's name is read."""
    last = None  # the innermost step so far: its attribute node, or "[]"
    current = unwrap(node)
    while current is not None:
        if current.type == "call":
            function = current.child_by_field_name("function")
            if function is None or function.type != "attribute":
                break
            last = function.child_by_field_name("attribute")
            current = unwrap(function.child_by_field_name("object"))
        elif current.type == "attribute":
            last = current.child_by_field_name("attribute")
            current = unwrap(current.child_by_field_name("object"))
        elif current.type == "subscript":
            last = "[]"
            current = unwrap(current.child_by_field_name("value"))
        else:
            break
    if last is None or last == "[]":
        return last, current
    return db.text(last), current


# A query chain names a manager or `query` among its steps (classify_call), unless its first
# step is a session or cursor round trip.
_QUERY_CHAIN_WORDS = ("objects", "_manager", "query")


def _may_be_query(db: DbFacts, call) -> bool:
    """A quick over-approximation of `classify_call(db, call) is not None` for an attribute call
    not chained into another: its text names a manager or `query`, its first step is a round
    trip, or its root is a local whose assigned value may be such a chain (followed only then)."""
    node = call.node
    if not db.may_follow:
        return _chain_ends(db, node)[0] in _FIRST_STEPS_OF_QUERIES or ".query" in db.text(node)
    if any(word in call.callee_text for word in _QUERY_CHAIN_WORDS):
        return True
    first, root = _chain_ends(db, node)
    if first in _FIRST_STEPS_OF_QUERIES:
        return True
    return root is not None and root.type == "identifier" and db.text(root) in db.query_roots


def _query_roots(db: DbFacts) -> set:
    """The assigned names (any scope) following which may reach a manager or `query` step: a
    value naming one, or rooted at such a name (a fixed point, as chains are followed in turn)."""
    if not db.may_follow:
        return set()
    roots: set = set()
    rooted_at: dict = {}  # name -> names its values are rooted at
    for (_, name), entries in db.assignments.items():
        for _, value, _ in entries:
            if name in roots:
                break
            if any(word in db.text(value) for word in _QUERY_CHAIN_WORDS):
                roots.add(name)
            else:
                root = _chain_ends(db, value)[1]
                if root is not None and root.type == "identifier":
                    rooted_at.setdefault(name, set()).add(db.text(root))
    changed = True
    while changed:
        changed = False
        for name, sources in rooted_at.items():
            if name not in roots and sources & roots:
                roots.add(name)
                changed = True
    return roots


def call_args(call):
    args = call.child_by_field_name("arguments") if call is not None else None
    positional, keywords = [], {}
    for arg in args.named_children if args is not None else ():
        if arg.type == "keyword_argument":
            name = arg.child_by_field_name("name")
            if name is not None:
                keywords[name.text.decode("utf-8", "replace")] = arg.child_by_field_name("value")
        elif arg.type not in ("comment", "list_splat", "dictionary_splat"):
            positional.append(arg)
    return positional, keywords


def is_session(db: DbFacts, node, method: str) -> bool:
    """Whether `node` (a chain root) is a SQLAlchemy session or connection."""
    facts = db.facts
    type_ = facts.type_of(node)
    if type_ is not None:
        if type_ in SESSION_TYPES or type_ in SESSIONMAKER_TYPES or _is_project_session(db, type_):
            return True
        ref = pending_session(db, node) if db.settle is not None else None
        return ref is not None and db.settle(ref)
    if node.type == "attribute":
        # Flask-SQLAlchemy: `db.session`
        owner = facts.type_of(node.child_by_field_name("object"))
        if owner is not None and owner.startswith("flask_sqlalchemy") and db.text(node).endswith(".session"):
            return True
        if db.text(node) == "db.session":  # Flask-SQLAlchemy's `db = SQLAlchemy()`, imported from the app
            return True
        attribute = db.text(node.child_by_field_name("attribute"))
        # `self.session` / `self.db_session`: an attribute named like a session.
        return attribute in SESSION_NAMES - {"db", "sess"} and (db.uses_sqlalchemy or method == "query")
    if node.type == "identifier":
        name = db.text(node)
        if name not in SESSION_NAMES:
            return False
        resolved = facts.resolve(node)
        if resolved is not None and not resolved.startswith(facts.module + "."):
            # a module-level import (`from app.db import session`): the
            # summary of that module may say; names alone are weak here.
            return _is_project_session(db, resolved) or db.uses_sqlalchemy
        return db.uses_sqlalchemy or method == "query"
    return False


# Where a type from another file cannot be a project's session alias.
_LIBRARY_ROOTS = frozenset({"sqlalchemy", "sqlmodel", "builtins", "typing", "typing_extensions", "collections", "django",
                            "fastapi", "starlette", "pydantic", "requests", "httpx", "aiohttp", "redis", "os", "subprocess",
                            "sqlite3", "psycopg", "psycopg2", "asyncpg", "pymysql"})  # fmt: skip


def pending_session(db: DbFacts, node) -> Optional[tuple]:
    """("maker", type) when `node` is typed by a name another project module declares (`session:
    SessionDep` with `SessionDep = Annotated[Session, Depends(get_db)]` in `app/api/deps.py`): the
    project index settles whether that is a session (`session_kind` of analyzer/async_index.py). None otherwise."""
    if node.type not in ("identifier", "attribute"):
        return None
    type_ = db.facts.type_of(node)
    if not type_ or "." not in type_ or "(" in type_ or type_.startswith(db.facts.module + "."):
        return None  # a type of this module: its aliases are resolved in the file already
    if type_.split(".", 1)[0] in _LIBRARY_ROOTS:
        return None
    return ("maker", type_)


def _is_project_session(db: DbFacts, type_: str) -> bool:
    """`SessionLocal()` where `SessionLocal = sessionmaker(...)`, in this file or another."""
    module_type = db.facts.objects.get(type_.rsplit(".", 1)[-1]) if type_.startswith(db.facts.module + ".") else None
    if module_type in SESSIONMAKER_TYPES:
        return True
    return type_.rsplit(".", 1)[-1] in {"SessionLocal", "AsyncSessionLocal", "async_session_maker", "Session", "AsyncSession"}


def model_of_root(db: DbFacts, node) -> Optional[str]:
    """`Book` in `Book.objects`: its qualified class name when it is a model
    (declared here, or imported from a `models` module)."""
    if node is None or node.type not in ("identifier", "attribute"):
        return None
    resolved = db.facts.resolve(node)
    if resolved is None:
        # `models.User` off a local namespace (a fixture, `models = make_models(Base)`): the text
        # names the class; the model index matches it by its suffix.
        text = db.text(node)
        return text if node.type == "attribute" and text.rsplit(".", 1)[-1][:1].isupper() else None
    parts = resolved.split(".")
    if resolved in db.facts.classes or "models" in parts[:-1] or parts[-1][:1].isupper():
        return resolved
    return None


def entity_of(db: DbFacts, steps, root) -> Optional[str]:
    """The entity a chain reads: `query(User)`, `select(User)`, `get(User, id)`,
    `scalars(select(User))`."""
    for step in steps:
        if step.call is None:
            continue
        if step.name in ("query", "get", "get_one", "scalars", "execute", "exec", "scalar", "select_from"):
            positional, _ = call_args(step.call)
            if not positional:
                continue
            first = unwrap(positional[0])
            if step.name in ("scalars", "execute", "exec", "scalar"):
                return _statement_entity(db, first)
            if first.type in ("identifier", "attribute"):
                # `models.User` off a local namespace object resolves to nothing: its text names the class
                return _class_part(db.facts.resolve(first) or db.text(first))
    if root is not None and root.type == "call":
        return _statement_entity(db, root)
    return None


def _class_part(name: Optional[str]) -> Optional[str]:
    """`app.models.User.id` -> `app.models.User` (a column names its class)."""
    if not name:
        return None
    parts = name.split(".")
    while len(parts) > 1 and not parts[-1][:1].isupper():
        parts.pop()
    return ".".join(parts) if parts[-1][:1].isupper() else None


WRITE_STATEMENTS = frozenset({"update", "delete", "insert"})


def followed(db: DbFacts, node, follow: int = 3):
    """`node` unwrapped; for a local name, the value assigned to it before `node`, through up to
    `follow` names (`stmt = select(...)` ... `session.execute(stmt)`). None when a name has no
    value in sight."""
    node = unwrap(node)
    while node is not None and node.type == "identifier" and follow:
        value = db.assigned_value(db.text(node), node)
        node = unwrap(value) if value is not None else None
        follow -= 1
    return node


def statement_kind(db: DbFacts, steps) -> Optional[str]:
    """"update" / "delete" / "insert" when execute() runs such a statement."""
    for step in steps:
        if step.call is None or step.name not in ("execute", "exec"):
            continue
        positional, _ = call_args(step.call)
        node = followed(db, positional[0]) if positional else None
        if node is None:
            return None
        root, _ = chain_of(db, node)
        if root is not None and root.type == "call":
            function = root.child_by_field_name("function")
            name = db.text(function).rsplit(".", 1)[-1] if function is not None else ""
            if name in WRITE_STATEMENTS:
                return name
            if name == "text":
                args = call_args(root)[0]
                sql = db.text(args[0]).lstrip("\"'rfbuRFBU \n").lower() if args else ""
                for word in WRITE_STATEMENTS:
                    if sql.startswith(word):
                        return word
    return None


def _statement_entity(db: DbFacts, node, follow: int = 3) -> Optional[str]:
    node = unwrap(node)
    if node is None:
        return None
    if node.type == "identifier" and follow:
        value = db.assigned_value(db.text(node), node)
        return _statement_entity(db, value, follow - 1) if value is not None else None
    root, _ = chain_of(db, node)
    if root is not None and root.type == "call":
        function = root.child_by_field_name("function")
        callee = db.facts.resolve(function) if function is not None else None
        if callee and callee.rsplit(".", 1)[-1] == "select":
            positional, _ = call_args(root)
            if len(positional) == 1 and unwrap(positional[0]).type in ("identifier", "attribute"):
                return _class_part(db.facts.resolve(unwrap(positional[0])))
    return None


def statement_steps(db: DbFacts, steps) -> list:
    """The chain steps plus those of a statement passed to execute/scalars
    (`stmt = select(X).options(...)`)."""
    out = list(steps)
    for step in steps:
        if step.call is not None and step.name in STATEMENT_RUNNERS:
            positional, _ = call_args(step.call)
            if positional:
                node = followed(db, positional[0])
                if node is not None:
                    _, inner = chain_of(db, node)
                    out += inner
    return out


def loaded_relationships(db: DbFacts, steps) -> tuple[frozenset, bool, frozenset, bool]:
    """(eager-loaded relationship names, select_related-all, prefetched names,
    batched) from a chain's options."""
    loaded, prefetched = set(), set()
    load_all = batched = False
    for step in steps:
        if step.name in BATCH_METHODS or step.name == "[]":
            if step.name != "[]" or _is_slice(step.call):
                batched = True
        if step.call is None:
            continue
        positional, keywords = call_args(step.call)
        if step.name == "execution_options" and "yield_per" in keywords:
            batched = True
        if step.name == "options":
            for option in positional:
                loaded |= _option_names(db, option)
        elif step.name == "select_related":
            if not positional:
                load_all = True
            loaded |= {_first_path(db, p) for p in positional}
        elif step.name == "prefetch_related":
            prefetched |= {_first_path(db, p) for p in positional}
    loaded.discard(None)
    prefetched.discard(None)
    return frozenset(loaded), load_all, frozenset(prefetched), batched


def _is_slice(node) -> bool:
    """A slice with a start (`qs[offset:offset + size]`): a page. `qs[:1]` per row is a query per row."""
    if node is None:
        return False
    for child in node.named_children:
        if child.type == "slice":
            start = child.children[0] if child.children else None
            return start is not None and start.type != ":"
    return False


def _first_path(db: DbFacts, node) -> Optional[str]:
    node = unwrap(node)
    while node is not None and node.type == "call":  # Prefetch("books", queryset=...), nested at any depth
        positional, keywords = call_args(node)
        target = positional[0] if positional else keywords.get("lookup")
        node = unwrap(target) if target is not None else None
    if node is not None and node.type == "string":
        text = "".join(db.text(c) for c in node.named_children if c.type == "string_content")
        return text.split("__", 1)[0] or None
    return None


def _option_names(db: DbFacts, node) -> set:
    """Relationship names in a loader option: `selectinload(User.posts)`,
    `joinedload(Post.author).selectinload(User.company)`, `selectinload("posts")`."""
    names = set()
    node = unwrap(node)
    while node is not None and node.type == "call":
        function = node.child_by_field_name("function")
        if function is None:
            break
        name = db.text(function).rsplit(".", 1)[-1]
        if name in EAGER_OPTIONS:
            for arg in call_args(node)[0]:
                arg = unwrap(arg)
                if arg.type == "attribute":
                    names.add(db.text(arg.child_by_field_name("attribute")))
                elif arg.type == "string":
                    names.add(_first_path(db, arg))
        if function.type == "attribute":
            node = unwrap(function.child_by_field_name("object"))
        else:
            break
    return names


def classify_call(db: DbFacts, call) -> Optional[Query]:
    """The database round trip `call` makes (a CallFact), or None."""
    node = call.node
    function = call.function
    if function is None:
        return None
    callee = call.callee or ""
    if callee.rsplit(".", 1)[-1] in ("get_object_or_404", "get_list_or_404", "aget_object_or_404") and (
        callee.startswith("django.")
    ):
        positional, _ = call_args(node)
        model = db.facts.resolve(positional[0]) if positional else None
        return Query(node, "django", "get", (), model=model, call=call)
    if function.type != "attribute":
        return None
    # Only the outermost call of a chain is classified, so one chain is one query.
    if node.id in db.chained:
        return None
    if not _may_be_query(db, call):
        return None  # in a file without a Django manager only a session/cursor method can start a query chain
    direct_root, direct_steps = chain_of(db, node, follow=0)
    # Following local assignments changes the chain only at an identifier
    # root, and matters only for Django managers (or in a tree with errors,
    # where a followed chain may end in nothing).
    if db.may_follow and direct_steps and direct_root is not None and direct_root.type == "identifier":
        root, steps = chain_of(db, node)
    else:
        root, steps = direct_root, direct_steps
    if not steps or root is None:
        return None
    root, steps = class_rooted(root, steps)
    method = steps[-1].name
    # -- Django managers / querysets
    if len(steps) >= 2 and steps[0].name in DJANGO_MANAGERS and steps[0].call is None:
        model = model_of_root(db, root)
        if model is None:
            return None
        ran = next((i for i, s in enumerate(steps[1:-1], 1) if s.name in DJANGO_RESULTS and s.call is not None), None)
        followed = len(steps) - len(direct_steps)  # steps that came from a local's assigned value
        if ran is None and 1 < followed < len(steps):
            last = steps[followed - 1]
            if last.call is not None and last.name not in QUERYSET_METHODS:
                # `ct = ObjectType.objects.get_by_natural_key(...)`: a custom manager method returned
                # an object; `ct.model_class()` is a method of it, not a queryset
                ran = followed - 1
        if ran is not None:
            if not _contains(node, steps[ran].call):
                # `rows = X.objects.in_bulk(ids)` ... `rows.get(pk)`: the query ran at the assignment. But
                # `site = Site.objects.get(...)` ... `site.tags.all()` queries again, through a related manager.
                rest = steps[ran + 1 :]
                if len(rest) >= 2 and rest[0].call is None and rest[-1].call is not None and (
                    rest[-1].name in DJANGO_EXECUTORS or is_evaluated(db, node)
                ):
                    return Query(node, "django", rest[-1].name, tuple(rest), call=call)
                return None
            # `X.objects.get(pk=1).delete()`: the query is the executor, what follows works on its result
            method, steps = steps[ran].name, steps[: ran + 1]
        if method in DJANGO_EXECUTORS or is_evaluated(db, node):
            loaded, load_all, prefetched, batched = loaded_relationships(db, steps)
            return Query(node, "django", method, tuple(steps), model=model, loaded=loaded, load_all=load_all,
                         prefetched=prefetched, batched=batched, call=call,
                         write=method in ("create", "update", "delete", "get_or_create", "update_or_create"))
        return None
    # -- Flask-SQLAlchemy: `User.query.filter_by(...).first()` (the `query` attribute of a model class)
    if len(steps) >= 2 and steps[0].name == "query" and steps[0].call is None and _is_model_query_root(db, root):
        if method in QUERY_EXECUTORS or is_evaluated(db, node):
            if method == "get" and len(call_args(steps[-1].call)[0]) != 1:
                return None
            loaded, _, _, batched = loaded_relationships(db, steps)
            return Query(node, "sqlalchemy-legacy", method, tuple(steps), model=model_of_root(db, root), loaded=loaded,
                         batched=batched, call=call, write=method in ("delete", "update"))
        return None
    # -- SQLAlchemy sessions: the round trip is where the session is called,
    # not where a stored result is read later (`result.scalars().all()`).
    root, steps = direct_root, direct_steps
    if not steps or root is None:
        return None
    method = steps[-1].name
    first = steps[0]
    session_call = first.call is not None and (first.name in SESSION_ROUND_TRIPS or first.name == "query")
    pending = None
    if session_call and not is_session(db, root, first.name):
        pending = pending_session(db, root)  # a session only if the project says so: `session: SessionDep`
        session_call = pending is not None
    if session_call:
        if first.name == "get" and not _looks_like_entity_get(db, first.call):
            return None
        if first.name == "query":
            if method not in QUERY_EXECUTORS and not is_evaluated(db, node):
                return None
            kind = "sqlalchemy-legacy"
        else:
            kind = "sqlalchemy"
        all_steps = statement_steps(db, steps)
        loaded, _, _, batched = loaded_relationships(db, all_steps)
        write = statement_kind(db, steps) is not None or first.name == "merge"
        return Query(node, kind, first.name if kind == "sqlalchemy" else method, tuple(all_steps),
                     model=entity_of(db, steps, root), loaded=loaded, batched=batched, call=call,
                     write=write or method in ("delete", "update"), pending=pending)
    # -- raw DB-API cursors and asyncpg connections
    if len(steps) == 1 and first.call is not None and first.name in ("execute", "fetch", "fetchrow", "fetchval"):
        type_ = db.facts.type_of(root)
        name = db.text(root) if root.type == "identifier" else ""
        if (type_ in RAW_CURSOR_TYPES or (type_ is None and name in RAW_CURSOR_NAMES)) and first.name == "execute":
            return Query(node, "raw", first.name, tuple(steps), call=call)
        if type_ in ASYNCPG_TYPES and first.name in ASYNCPG_ROUND_TRIPS:
            return Query(node, "raw", first.name, tuple(steps), call=call)
    return None


def _is_model_query_root(db: DbFacts, root) -> bool:
    """`User` in `User.query...`: a class (capitalised) that is not a SQLAlchemy/SQLModel object
    itself; Flask-SQLAlchemy gives each model a `query` property."""
    if root.type not in ("identifier", "attribute"):
        return False
    name = db.text(root).rsplit(".", 1)[-1]
    resolved = db.facts.resolve(root) or ""
    return name[:1].isupper() and not resolved.startswith(("sqlalchemy", "sqlmodel", "builtins")) and model_of_root(db, root) is not None


def _looks_like_entity_get(db: DbFacts, call) -> bool:
    """`session.get(User, id)`: a class first, then a key (not `dict.get`-like)."""
    positional, _ = call_args(call)
    if len(positional) < 2:
        return False
    first = unwrap(positional[0])
    return first.type in ("identifier", "attribute") and db.text(first).rsplit(".", 1)[-1][:1].isupper()


_EVALUATING_CALLS = frozenset(
    {"builtins.list", "builtins.len", "builtins.tuple", "builtins.set", "builtins.sorted", "builtins.sum",
     "builtins.any", "builtins.all", "builtins.bool", "builtins.next", "builtins.dict", "builtins.max",
     "builtins.min", "builtins.enumerate", "builtins.zip"}
)  # fmt: skip


def is_evaluated(db: DbFacts, node) -> bool:
    """Whether a lazy queryset/query expression is evaluated where it stands:
    iterated, passed to list()/len()..., indexed, or tested for truth."""
    parent = outer_parent(node)
    if parent is None:
        return False
    if parent.type == "for_statement":
        return _is_field(parent, "right", node)
    if parent.type == "for_in_clause":
        return _is_field(parent, "right", node)
    if parent.type == "argument_list":
        call = parent.parent
        callee = db.facts.resolve(call.child_by_field_name("function")) if call is not None else None
        return callee in _EVALUATING_CALLS
    if parent.type == "subscript":
        return _is_field(parent, "value", node)
    if parent.type in ("if_statement", "while_statement", "not_operator", "boolean_operator", "conditional_expression"):
        return True
    if parent.type == "assignment" and _is_field(parent, "right", node):
        left = parent.child_by_field_name("left")
        if left is not None and left.type == "identifier":
            return _name_evaluated_later(db, db.text(left), parent)
    return False


def _is_field(parent, name: str, node) -> bool:
    child = parent.child_by_field_name(name)
    return child is not None and _contains(child, node)


def _name_evaluated_later(db: DbFacts, name: str, assignment) -> bool:
    """`qs = X.objects.filter(...)` then `for x in qs` / `list(qs)` in the same
    enclosing block: the assignment is where the queryset gets built."""
    block = assignment.parent.parent if assignment.parent is not None else None
    if block is None:
        return False
    for loop in db.loops:
        if loop.start_byte > assignment.end_byte and _contains(block, loop):
            right = unwrap(loop.child_by_field_name("right"))
            if right is not None and right.type == "identifier" and db.text(right) == name:
                return True
    for call in db.facts.calls:
        if call.node.start_byte > assignment.end_byte and _contains(block, call.node) and call.callee in _EVALUATING_CALLS:
            positional, _ = call_args(call.node)
            if positional and positional[0].type == "identifier" and db.text(positional[0]) == name:
                return True
    return False


# -- models -------------------------------------------------------------------------

SQLA_COLUMN_CALLS = frozenset({"Column", "mapped_column", "Field"})
DJANGO_RELATIONS = {"ForeignKey": "fk", "OneToOneField": "o2o", "ManyToManyField": "m2m", "ParentalKey": "fk"}
STRING_TYPES = frozenset({"String", "Text", "Unicode", "UnicodeText", "VARCHAR", "CITEXT", "CharField", "TextField",
                          "EmailField", "SlugField", "URLField", "str"})  # fmt: skip


def _class_body_items(db: DbFacts, class_node):
    """(name, annotation, value node, position node) for the class body's
    assignments and `@declared_attr` methods returning a value."""
    body = class_node.child_by_field_name("body")
    for statement in body.named_children if body is not None else ():
        if statement.type == "expression_statement" and statement.named_children:
            inner = statement.named_children[0]
            if inner.type == "assignment":
                left = inner.child_by_field_name("left")
                if left is not None and left.type == "identifier":
                    yield db.text(left), inner.child_by_field_name("type"), inner.child_by_field_name("right"), inner
            continue
        definition = statement
        if statement.type == "decorated_definition":
            if "declared_attr" not in db.text(statement)[: statement.child_by_field_name("definition").start_byte - statement.start_byte]:
                continue
            definition = statement.child_by_field_name("definition")
        else:
            continue
        name = db.text(definition.child_by_field_name("name"))
        returns = definition.child_by_field_name("return_type")
        block = definition.child_by_field_name("body")
        for inner in block.named_children if block is not None else ():
            if inner.type == "return_statement" and inner.named_children:
                yield name, returns, inner.named_children[0], definition
                break


def _callee_last(db: DbFacts, call) -> str:
    function = call.child_by_field_name("function") if call is not None and call.type == "call" else None
    return db.text(function).rsplit(".", 1)[-1] if function is not None else ""


def _truthy(db: DbFacts, node) -> bool:
    return node is not None and db.text(node) == "True"


def _mapped_target(db: DbFacts, annotation) -> tuple[Optional[str], bool]:
    """`Mapped["User"]` -> ("User", False); `Mapped[list["Post"]]` -> ("Post", True)."""
    if annotation is None:
        return None, False
    text = db.text(annotation).replace(" ", "").replace("'", "").replace('"', "")
    if not text.startswith("Mapped["):
        return None, False
    inner = text[len("Mapped[") : -1]
    many = False
    for wrapper in ("list[", "List[", "set[", "Set[", "Sequence[", "typing.List["):
        if inner.startswith(wrapper):
            inner, many = inner[len(wrapper) : -1], True
    for wrapper in ("Optional[",):
        if inner.startswith(wrapper):
            inner = inner[len(wrapper) : -1]
    inner = inner.replace("|None", "").replace("None|", "")
    return (inner or None), many


def _string_or_name(db: DbFacts, node) -> Optional[str]:
    node = unwrap(node)
    if node is None:
        return None
    if node.type == "string":
        return "".join(db.text(c) for c in node.named_children if c.type == "string_content") or None
    if node.type in ("identifier", "attribute"):
        return db.facts.resolve(node) or db.text(node)
    return None


def _where(source, node) -> tuple:
    """(line, col, end_line, end_col) of `node`: only for the entries kept."""
    span = source.span(node)
    return (span.line, span.col, span.end_line, span.end_col)


def _model_record(db: DbFacts, qualname: str, class_node) -> Optional[dict]:
    facts = db.facts
    bases = []
    superclasses = class_node.child_by_field_name("superclasses")
    for base in superclasses.named_children if superclasses is not None else ():
        if base.type in ("identifier", "attribute"):
            bases.append(facts.resolve(base) or db.text(base))
    columns, relationships, fields = {}, {}, {}
    indexed_first = set()
    trigram = set()
    abstract = False
    has_table = False
    meta = facts.classes.get(qualname + ".Meta")
    for name, _, value, _ in _class_body_items(db, meta) if meta is not None else ():
        if name == "abstract":
            abstract = value is not None and db.text(value) == "True"
        elif name in ("indexes", "constraints", "index_together", "unique_together") and value is not None:
            indexed_first |= _meta_index_fields(db, value)
            trigram |= _trigram_columns(db, value)
    for name, annotation, value, position in _class_body_items(db, class_node):
        if name == "__tablename__":
            has_table = True
            continue
        if name == "__table_args__" and value is not None:
            indexed_first |= _table_arg_columns(db, value)
            trigram |= _trigram_columns(db, value)
            continue
        if name == "__abstract__":
            abstract = value is not None and db.text(value) == "True"
            continue
        value = unwrap(value)
        if value is None or value.type != "call":
            if annotation is not None and db.text(annotation).startswith("Mapped["):
                target, _ = _mapped_target(db, annotation)
                columns[name] = {"fk": None, "indexed": False, "string": target in STRING_TYPES,
                                 "where": _where(facts.source, position)}
            continue
        callee_last = _callee_last(db, value)
        callee = facts.resolve(value.child_by_field_name("function")) or ""
        positional, keywords = call_args(value)
        if callee_last in SQLA_COLUMN_CALLS:
            fk = None
            string = False
            for arg in positional:
                arg = unwrap(arg)
                if arg.type == "call" and _callee_last(db, arg) == "ForeignKey":
                    fk_args = call_args(arg)[0]
                    fk = _string_or_name(db, fk_args[0]) if fk_args else "?"
                elif db.text(arg).split("(", 1)[0].rsplit(".", 1)[-1] in STRING_TYPES:
                    string = True
            if "foreign_key" in keywords:  # SQLModel Field(foreign_key="users.id")
                fk = _string_or_name(db, keywords["foreign_key"])
            target, _ = _mapped_target(db, annotation)
            string = string or target in STRING_TYPES
            indexed = any(_truthy(db, keywords.get(k)) for k in ("index", "primary_key", "unique"))
            columns[name] = {"fk": fk, "indexed": indexed, "string": string,
                             "where": _where(facts.source, position)}
            if keywords.get("index") is not None and db.text(keywords["index"]) == "False":
                columns[name]["no_index"] = True  # a deliberate choice
        elif callee_last == "relationship":
            target = _string_or_name(db, positional[0]) if positional else None
            mapped, many = _mapped_target(db, annotation)
            target = target or mapped
            lazy = _string_or_name(db, keywords.get("lazy")) if keywords.get("lazy") is not None else "select"
            if keywords.get("lazy") is not None and db.text(keywords["lazy"]) == "True":
                lazy = "select"
            uselist = keywords.get("uselist")
            backref = keywords.get("backref")
            backref_name = backref_lazy = None
            if backref is not None:
                backref = unwrap(backref)
                if backref.type == "call":
                    b_pos, b_kw = call_args(backref)
                    backref_name = _string_or_name(db, b_pos[0]) if b_pos else None
                    backref_lazy = _string_or_name(db, b_kw["lazy"]) if "lazy" in b_kw else None
                else:
                    backref_name = _string_or_name(db, backref)
            relationships[name] = {
                "target": target,
                "lazy": lazy or "select",
                "many": (db.text(uselist) != "False") if uselist is not None else (many if mapped else None),
                "backref": backref_name,
                "backref_lazy": backref_lazy or "select",
                "where": _where(facts.source, position),
            }
        elif callee.startswith("django.db.models") or callee_last in DJANGO_RELATIONS or callee_last.endswith("Field"):
            kind = DJANGO_RELATIONS.get(callee_last)
            entry = {"kind": kind or "field", "where": _where(facts.source, position), "string": callee_last in STRING_TYPES,
                     "type": callee_last}
            if kind:
                target = positional[0] if positional else keywords.get("to")
                entry["target"] = _string_or_name(db, target) if target is not None else None
                entry["related_name"] = _string_or_name(db, keywords["related_name"]) if "related_name" in keywords else None
                entry["db_index"] = db.text(keywords["db_index"]) != "False" if "db_index" in keywords else True
            fields[name] = entry
    is_django_base = any(b.startswith("django.db.models") or b.endswith("models.Model") for b in bases)
    if not (has_table or columns or relationships or fields or is_django_base or (abstract and (trigram or indexed_first))):
        return None
    return {
        "name": qualname,
        "bases": bases,
        "table": has_table,
        "columns": columns,
        "relationships": relationships,
        "fields": fields,
        "indexed_first": sorted(indexed_first),
        "trigram": sorted(trigram),
        "abstract": abstract,
    }


def _table_arg_columns(db: DbFacts, node) -> set:
    """First columns of Index/UniqueConstraint/PrimaryKeyConstraint in `__table_args__`."""
    names = set()
    node = unwrap(node)
    items = node.named_children if node.type in ("tuple", "list") else [node]
    for item in items:
        item = unwrap(item)
        if item.type != "call":
            continue
        kind = _callee_last(db, item)
        positional, _ = call_args(item)
        columns = positional[1:] if kind == "Index" else positional
        if kind in ("Index", "UniqueConstraint", "PrimaryKeyConstraint") and columns:
            first = unwrap(columns[0])
            text = _string_or_name(db, first) if first.type == "string" else db.text(first)
            if text:
                names.add(text.rsplit(".", 1)[-1])
    return names


def _strings_in(db: DbFacts, node) -> list:
    """The string literals of a list/tuple (or a single string)."""
    node = unwrap(node)
    if node is None:
        return []
    if node.type == "string":
        text = _string_or_name(db, node)
        return [text] if text else []
    if node.type in ("list", "tuple"):
        return [t for item in node.named_children for t in _strings_in(db, item)]
    return []


def _meta_index_fields(db: DbFacts, node) -> set:
    """First fields of Django `Meta.indexes` (`Index(fields=[...])`, `GinIndex`...), `constraints`
    (`UniqueConstraint(fields=[...])`) and `index_together` / `unique_together`."""
    names = set()
    node = unwrap(node)
    for item in node.named_children if node is not None and node.type in ("list", "tuple") else ():
        item = unwrap(item)
        if item.type == "call":
            positional, keywords = call_args(item)
            fields = keywords.get("fields")
            first = _strings_in(db, fields)[:1] if fields is not None else []  # expressions: none
            names |= {f.lstrip("-") for f in first}
        elif item.type in ("list", "tuple"):
            names |= set(_strings_in(db, item)[:1])
        elif item.type == "string":  # unique_together = ("a", "b")
            names |= set(_strings_in(db, node)[:1])
            break
    return names


_TRIGRAM_OPS = ("gin_trgm_ops", "gist_trgm_ops")


def _trigram_columns(db: DbFacts, node) -> set:
    """Columns with a trigram index: Django `GinIndex(fields=[...], opclasses=["gin_trgm_ops"])`
    (or GistIndex), SQLAlchemy `Index(..., postgresql_ops={"name": "gin_trgm_ops"})`."""
    names = set()
    node = unwrap(node)
    items = node.named_children if node is not None and node.type in ("list", "tuple") else [node]
    for item in items:
        item = unwrap(item)
        if item is None or item.type != "call":
            continue
        positional, keywords = call_args(item)
        if "opclasses" in keywords:
            fields = _strings_in(db, keywords.get("fields"))
            for field_name, opclass in zip(fields, _strings_in(db, keywords["opclasses"])):
                if opclass in _TRIGRAM_OPS:
                    names.add(field_name)
        ops = unwrap(keywords.get("postgresql_ops"))
        if ops is not None and ops.type == "dictionary":
            for pair in ops.named_children:
                if pair.type == "pair" and _string_or_name(db, pair.child_by_field_name("value")) in _TRIGRAM_OPS:
                    key = _string_or_name(db, pair.child_by_field_name("key"))
                    if key:
                        names.add(key.rsplit(".", 1)[-1])
    return names


def _module_level_indexes(db: DbFacts) -> None:
    """`Index("ix", Post.author_id)` next to the models: mark that column indexed."""
    by_name = {m["name"].rsplit(".", 1)[-1]: m for m in db.models}
    for call in db.facts.calls:
        if call.scope is not None or (call.callee or "").rsplit(".", 1)[-1] != "Index":
            continue
        positional, _ = call_args(call.node)
        if len(positional) >= 2 and positional[1].type == "attribute":
            owner = db.text(positional[1].child_by_field_name("object"))
            if owner in by_name:
                by_name[owner]["indexed_first"].append(db.text(positional[1].child_by_field_name("attribute")))


# -- loops ---------------------------------------------------------------------------

SMALL_RANGE = 20
BATCH_WORDS = ("chunk", "batch", "page", "partition", "yield_per", "iterator(", "window", "slice")


def identifiers_in(db: DbFacts, node) -> dict:
    """Names read inside `node` (a small subtree: a query or a call), as dict keys in source
    order: callers pick the first one for messages, and a set's order would change with
    PYTHONHASHSEED."""
    names, stack = {}, [node]
    while stack:
        current = stack.pop()
        if current.type == "identifier":
            parent = current.parent
            if not (parent is not None and parent.type == "attribute" and parent.child_by_field_name("attribute") == current) and not (
                parent is not None and parent.type == "keyword_argument" and parent.child_by_field_name("name") == current
            ):
                names.setdefault(db.text(current), None)
        stack.extend(reversed(current.named_children))
    return names


@dataclass(eq=False)
class LoopInfo:
    node: object  # for_statement, or the comprehension
    iterable: object
    targets: tuple
    body: object  # the for body, or the comprehension


def loop_info(db: DbFacts, loop) -> Optional[LoopInfo]:
    """A `for` loop or comprehension from a CallFact's `loops` (None for `while`)."""
    if loop.kind == "for":
        return LoopInfo(loop.node, loop.node.child_by_field_name("right"), loop.targets, loop.node.child_by_field_name("body"))
    if loop.kind == "comprehension":
        clauses = [c for c in loop.node.named_children if c.type == "for_in_clause"]
        if not clauses:
            return None
        return LoopInfo(loop.node, clauses[0].child_by_field_name("right"), loop.targets, loop.node)
    return None


def is_small_literal(db: DbFacts, iterable, follow: int = 2) -> bool:
    node = unwrap(iterable)
    if node is None:
        return False
    if node.type in ("identifier", "attribute") and db.facts.resolve(node):
        # `for reason in ResolutionReason`: iterating a class is iterating an Enum's members.
        resolved = db.facts.resolve(node)
        if resolved.rsplit(".", 1)[-1][:1].isupper() and not resolved.startswith("builtins."):
            return True
    if node.type == "identifier" and follow:
        # `for kind in KINDS` with `KINDS = ("a", "b")` (local or module constant)
        value = db.assigned_value(db.text(node), node)
        if value is None:
            entries = db.assignments.get((None, db.text(node)), ())
            value = entries[-1][1] if len(entries) == 1 else None
        return value is not None and is_small_literal(db, value, follow - 1)
    if node.type == "conditional_expression" and follow:
        branches = [c for c in node.named_children]
        return len(branches) == 3 and is_small_literal(db, branches[0], follow - 1) and is_small_literal(db, branches[2], follow - 1)
    if node.type in ("list", "tuple", "set", "dictionary", "string", "concatenated_string"):
        return True
    if node.type == "call":
        callee = db.facts.resolve(node.child_by_field_name("function"))
        positional, _ = call_args(node)
        if callee == "builtins.range" and positional and all(p.type == "integer" for p in positional):
            try:
                return int(db.text(positional[-1 if len(positional) < 3 else 1]).replace("_", ""), 0) <= SMALL_RANGE
            except ValueError:
                return False
        function = node.child_by_field_name("function")
        if function is not None and function.type == "attribute":
            owner = unwrap(function.child_by_field_name("object"))
            return owner is not None and owner.type in ("list", "tuple", "set", "dictionary")
    return False


def is_batch_iterable(db: DbFacts, iterable) -> bool:
    """`for chunk in chunked(ids, 500)`, `for page in paginate(...)`,
    `for row in query.yield_per(1000)`: loops that are batched on purpose."""
    text = db.text(iterable).lower()
    if any(word in text for word in BATCH_WORDS):
        return True
    node = unwrap(iterable)
    query = db.queries_by_node.get(node.id) if node is not None else None
    return query is not None and query.batched


def tainted_names(db: DbFacts, info: LoopInfo, before_node) -> dict:
    """Loop targets and the names assigned from them in the loop body before
    `before_node`: {name: the loop target it derives from}."""
    tainted = {t: t for t in info.targets if t != "_"}
    entries = []
    for (key, name), values in db.assignments.items():
        for pos, value, assignment in values:
            if _contains(info.body, assignment) and assignment.end_byte <= before_node.start_byte:
                entries.append((pos, name, value))
    for _, name, value in sorted(entries, key=lambda e: e[0]):
        origins = [tainted[n] for n in identifiers_in(db, value) if n in tainted]
        if origins:
            tainted[name] = origins[0]
    return tainted


# -- rows of a query -------------------------------------------------------------------


@dataclass(eq=False)
class RowsSource:
    """The query whose rows a loop iterates: its model and what it eager-loads."""

    node: object  # the query expression (for a related location)
    kind: str  # sqlalchemy | django
    model: Optional[str]
    loaded: frozenset
    load_all: bool
    prefetched: frozenset
    # Elements of a relationship collection (`for p in post.comments`):
    # (parent model, collection name) instead of a query.
    parent: Optional[tuple] = None


def object_model(db: DbFacts, node) -> Optional[str]:
    """The model class of a single object: a parameter or variable annotated
    with it, or a local bound to a one-row query (`session.get(User, id)`,
    `query(User)...first()`)."""
    node = unwrap(node)
    if node is None or node.type != "identifier":
        return None
    type_ = db.facts.type_of(node)
    if type_ is not None:
        return type_
    value = db.assigned_value(db.text(node), node)
    value = unwrap(value) if value is not None else None
    query = db.queries_by_node.get(value.id) if value is not None else None
    if query is not None and query.method in ("get", "get_one", "first", "one", "one_or_none", "scalar"):
        return query.model
    return None


def relationship_rows(db: DbFacts, iterable, models) -> Optional[RowsSource]:
    """`for c in post.comments` with `post` a known model instance and
    `comments` a collection relationship: the elements are `Comment` rows."""
    node = unwrap(iterable)
    if node is None or node.type != "attribute":
        return None
    owner = object_model(db, node.child_by_field_name("object"))
    if owner is None:
        return None
    name = db.text(node.child_by_field_name("attribute"))
    relation = models.relation(owner, name)
    if relation is None or relation.many is False or relation.lazy == "django" or relation.lazy in ("dynamic", "write_only"):
        return None
    parent = models.get(owner)
    return RowsSource(node, "sqlalchemy", relation.target, frozenset(), False, frozenset(), parent=(parent.short, name, db.text(node)))


_ROW_SHAPING = frozenset({"values", "values_list", "only_scalars", "mappings", "columns", "with_entities", "add_columns"})


def rows_source(db: DbFacts, iterable) -> Optional[RowsSource]:
    """The query producing the elements of `iterable`, when they are model
    instances: `session.scalars(select(Post))`, `session.execute(stmt).scalars().all()`,
    `session.query(Post).all()`, `Post.objects.filter(...)`, or a local name
    bound to one of those."""
    node = unwrap(iterable)
    follow = 5
    while node is not None and follow:
        follow -= 1
        if node.type == "identifier":
            value = db.assigned_value(db.text(node), node)
            node = unwrap(value) if value is not None else None
        elif (inner := _materialised(db, node)) is not None:
            node = inner  # `list(qs)`, `[*qs]`: the same rows, loaded now
        else:
            break
    if node is None or node.type not in ("call", "attribute"):
        return None
    root, steps = chain_of(db, node)
    if not steps or root is None:
        return None
    root, steps = class_rooted(root, steps)
    names = [s.name for s in steps]
    if any(n in _ROW_SHAPING for n in names):
        return None
    if steps[0].name in DJANGO_MANAGERS and steps[0].call is None:
        model = model_of_root(db, root)
        if model is None or any(n in DJANGO_RESULTS for n in names[1:]):
            return None  # `bulk_create(objs)` returns the objects built here, `in_bulk()` a dict
        loaded, load_all, prefetched, _ = loaded_relationships(db, steps)
        return RowsSource(node, "django", model, loaded, load_all, prefetched)
    if steps[0].name == "query" and steps[0].call is None and _is_model_query_root(db, root):
        if steps[-1].name != "all" and steps[-1].call is not None and steps[-1].name in QUERY_EXECUTORS:
            return None  # first(), count()...: not rows
        loaded, _, _, _ = loaded_relationships(db, steps)
        return RowsSource(node, "sqlalchemy", model_of_root(db, root), loaded, False, frozenset())
    first = steps[0]
    if first.call is None or not is_session(db, root, first.name):
        return None
    if first.name == "query":
        positional, _ = call_args(first.call)
        if len(positional) != 1:
            return None  # several entities: rows are tuples
    elif first.name in ("scalars", "stream_scalars", "exec") or (first.name in ("execute", "stream") and "scalars" in names):
        pass
    else:
        return None
    all_steps = statement_steps(db, steps)
    loaded, _, _, _ = loaded_relationships(db, all_steps)
    return RowsSource(node, "sqlalchemy", entity_of(db, steps, root), loaded, False, frozenset())


def _materialised(db: DbFacts, node):
    """`qs` in `list(qs)`, `tuple(qs)`, `sorted(qs, ...)`, `[*qs]`; else None."""
    if node.type == "call":
        callee = db.facts.resolve(node.child_by_field_name("function"))
        positional, _ = call_args(node)
        if callee in MATERIALISING_CALLS and positional:
            return unwrap(positional[0])
    elif node.type in ("list", "tuple") and len(node.named_children) == 1 and node.named_children[0].type == "list_splat":
        splat = node.named_children[0]
        return unwrap(splat.named_children[0]) if splat.named_children else None
    return None


def element_reads(db: DbFacts, root):
    """`rows[0].author`-like reads under `root`: (attribute node, the subscript `rows[0]`) for
    an integer index into a local name (the rows are looked up by the caller)."""
    for attribute in db.attributes_in(root):
        obj = unwrap(attribute.child_by_field_name("object"))
        if obj is None or obj.type != "subscript":
            continue
        value = obj.child_by_field_name("value")
        index = obj.child_by_field_name("subscript")
        if value is not None and value.type == "identifier" and index is not None and index.type == "integer":
            yield attribute, obj


def loop_reads(db: DbFacts, loop_node):
    """(target name, iterable, region) for a `for` statement or a comprehension
    clause with a single-name target; reads of the target happen in `region`."""
    left = loop_node.child_by_field_name("left")
    right = loop_node.child_by_field_name("right")
    if left is None or right is None or left.type != "identifier":
        return None
    if loop_node.type == "for_statement":
        return db.text(left), right, loop_node.child_by_field_name("body")
    return db.text(left), right, loop_node.parent
