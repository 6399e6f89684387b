"""The project's ORM model index, built once per run from the Python summaries
(`index.get_derived("models", build_model_index)`), and the index of project
functions that run queries (`query_functions(index)`).

A model is found by its qualified class name (`app.models.User`), by a unique
suffix of it (absolute imports may be rooted below the scanned directory), or
by its bare class name (string targets such as `relationship("User")`).
Relationships include the reverse sides: SQLAlchemy `backref=` and Django
reverse accessors (`related_name`, or `<model>_set`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from .async_index import DottedNames, async_index, session_kind
from .facts.python import build_object_types, dotted_suffixes
from .facts.python_db import DbFacts, db_facts
from .findings import Span
from .project import question

SQLALCHEMY = "sqlalchemy"
DJANGO = "django"


@dataclass
class Relation:
    name: str
    target: Optional[str]  # qualified model name when known, else the text given
    lazy: str  # SQLAlchemy lazy= ("select" by default); "django" for Django
    many: Optional[bool]  # a collection (one-to-many / many-to-many)
    fk_column: Optional[str] = None  # `author_id` for `author`, when declared
    reverse: bool = False  # a backref / reverse accessor
    django_kind: Optional[str] = None  # fk | o2o | m2m | reverse-fk | reverse-o2o | reverse-m2m


@dataclass
class Model:
    name: str  # qualified
    path: str  # rel_path of the declaring file
    kind: Optional[str]  # sqlalchemy | django | None (unknown base)
    bases: list
    columns: dict = field(default_factory=dict)
    relations: dict = field(default_factory=dict)  # name -> Relation
    fields: dict = field(default_factory=dict)
    indexed_first: set = field(default_factory=set)
    trigram: set = field(default_factory=set)  # columns with a pg_trgm index
    abstract: bool = False

    @property
    def short(self) -> str:
        return self.name.rsplit(".", 1)[-1]

    def span(self, where) -> Span:
        return Span(self.path, *where)


class ModelIndex:
    def __init__(self):
        self.models: dict[str, Model] = {}
        self._by_short: dict[str, list] = {}
        self._by_field: Optional[dict] = None

    def add(self, model: Model) -> None:
        self.models[model.name] = model
        self._by_short.setdefault(model.short, []).append(model)

    def get(self, name: Optional[str], near: Optional[str] = None, kind: Optional[str] = None) -> Optional[Model]:
        """By qualified name, unique dotted suffix, or unique class name. Two models may share a
        class name: `near` (the qualified name of the model or module that refers to it, as for
        `ForeignKey("User")`) prefers the one in the same module, then in the closest package;
        `kind` (sqlalchemy / django) prefers the one of that ORM (a session reads SQLAlchemy models)."""
        if not name:
            return None
        if name in self.models:
            return self.models[name]
        short = name.rsplit(".", 1)[-1]
        candidates = self._by_short.get(short, [])
        if len(candidates) > 1 and kind is not None:
            candidates = [m for m in candidates if m.kind == kind] or candidates
        if "." in name:
            candidates = [m for m in candidates if m.name.endswith("." + name) or name.endswith("." + m.name)] or [
                m for m in candidates if _in_app(m.name, name)
            ] or [m for m in candidates if m.name.endswith("." + name.split(".", 1)[-1])]
        if len(candidates) > 1 and near:
            closest = max(_shared_parts(m.name, near) for m in candidates)
            candidates = [m for m in candidates if _shared_parts(m.name, near) == closest]
        return candidates[0] if len(candidates) == 1 else None

    def django_managers(self) -> dict:
        """Names of Django related managers (`order.lines`, `author.book_set`, m2m fields) -> the
        models they read, for per-row queries through them."""
        out: dict[str, set] = {}
        for model in self.models.values():
            for relation in model.relations.values():
                if relation.lazy == "django" and relation.many and relation.target:
                    out.setdefault(relation.name, set()).add(relation.target)
        return out

    def with_field(self, name: str) -> list:
        """Models declaring a field or column `name` (for a lookup whose model is not known)."""
        if self._by_field is None:
            self._by_field = {}
            for model in self.models.values():
                for field_name in {**model.fields, **model.columns}:
                    self._by_field.setdefault(field_name, []).append(model)
        return self._by_field.get(name, [])

    def subclasses(self, name: str) -> list:
        """Project models that name `name` among their bases (directly)."""
        model = self.models.get(name)
        if model is None:
            return []
        return [m for m in self.models.values() if m.name != name and any(self.get(b, m.name) is model for b in m.bases)]

    def relation(self, model_name: Optional[str], attribute: str) -> Optional[Relation]:
        """A relationship `attribute` of the model or its project base classes."""
        seen = set()
        model = self.get(model_name)
        while model is not None and model.name not in seen:
            seen.add(model.name)
            if attribute in model.relations:
                return model.relations[attribute]
            model = next((self.get(b, model.name) for b in model.bases if self.get(b, model.name) is not None), None)
        return None


def _in_app(qualname: str, reference: str) -> bool:
    """Django's `"app_label.Model"`: the model's module path contains the app label."""
    label, _, short = reference.rpartition(".")
    parts = qualname.split(".")
    return parts[-1] == short and "." not in label and label in parts[:-1]


def _shared_parts(qualname: str, near: str) -> int:
    """How many leading module parts two qualified names share."""
    count = 0
    for a, b in zip(qualname.split(".")[:-1], near.split(".")):
        if a != b:
            break
        count += 1
    return count


def _kind(record: dict, by_short: dict) -> Optional[str]:
    """`by_short`: class name -> records with that class name, in record order."""
    seen = set()
    stack = [record]
    while stack:
        current = stack.pop()
        if current["name"] in seen:
            continue
        seen.add(current["name"])
        if current["fields"] or any(b.startswith("django.db.models") or b.endswith("models.Model") for b in current["bases"]):
            return DJANGO
        if current["table"] or current["relationships"] or any(c.get("fk") for c in current["columns"].values()):
            return SQLALCHEMY
        for base in current["bases"]:
            # A record named `base` has its class name too: one lookup covers both.
            stack += by_short.get(base.rsplit(".", 1)[-1], ())
    return None


def build_model_index(index) -> ModelIndex:
    records = {}
    paths = {}
    for rel_path, summary in index.python.items():
        for record in (summary.get("db") or {}).get("models", ()):
            records[record["name"]] = record
            paths[record["name"]] = rel_path
    by_short: dict[str, list] = {}
    for name, record in records.items():
        by_short.setdefault(name.rsplit(".", 1)[-1], []).append(record)
    models = ModelIndex()
    for name, record in records.items():
        model = Model(
            name=name,
            path=paths[name],
            kind=_kind(record, by_short),
            bases=list(record["bases"]),
            columns=dict(record["columns"]),
            fields=dict(record["fields"]),
            indexed_first=set(record["indexed_first"]),
            trigram=set(record.get("trigram", ())),
            abstract=bool(record.get("abstract")),
        )
        models.add(model)
    for name, record in records.items():
        model = models.models[name]
        for attr, rel in record["relationships"].items():
            target = models.get(rel["target"], name, SQLALCHEMY)
            fk_column = f"{attr}_id" if f"{attr}_id" in model.columns else None
            many = rel["many"]
            if many is None and fk_column is not None:
                many = False  # `author` next to an `author_id` foreign key: many-to-one
            model.relations[attr] = Relation(attr, target.name if target else rel["target"], rel["lazy"], many,
                                             fk_column=fk_column)
            if rel.get("backref") and target is not None and rel["backref"] not in target.relations:
                target.relations[rel["backref"]] = Relation(rel["backref"], name, rel["backref_lazy"],
                                                            None, reverse=True)
        for attr, entry in record["fields"].items():
            kind = entry.get("kind")
            if kind not in ("fk", "o2o", "m2m"):
                continue
            target_text = entry.get("target")
            target = model if target_text == "self" else models.get(target_text, name, DJANGO)
            model.relations[attr] = Relation(attr, target.name if target else target_text, "django", kind == "m2m",
                                             fk_column=f"{attr}_id" if kind != "m2m" else None, django_kind=kind)
            if target is None:
                continue
            related_name = entry.get("related_name")
            if related_name in ("+",) or (related_name or "").endswith("+"):
                continue
            if kind == "o2o":
                reverse = related_name or model.short.lower()
            else:
                reverse = related_name or f"{model.short.lower()}_set"
            target.relations.setdefault(
                reverse,
                Relation(reverse, name, "django", kind != "o2o", reverse=True, django_kind=f"reverse-{kind}"),
            )
    return models


def model_index(index) -> ModelIndex:
    return index.get_derived("models", build_model_index)


@question
def model_named(index, name: Optional[str], kind: Optional[str] = None) -> Optional[Model]:
    return model_index(index).get(name, None, kind)


@question
def model_relation(index, model_name: Optional[str], attribute: str) -> Optional[Relation]:
    return model_index(index).relation(model_name, attribute)


@question
def django_manager_target(index, name: str) -> Optional[str]:
    """The model a Django related manager named `name` reads, when one name means one model."""
    targets = index.get_derived("models.django_managers", lambda i: model_index(i).django_managers()).get(name, ())
    return next(iter(targets)) if len(targets) == 1 else None


@question
def models_with_field(index, name: str) -> tuple:
    return tuple(model_index(index).with_field(name))


@question
def model_subclasses(index, name: str) -> tuple:
    return tuple(model_index(index).subclasses(name))


class ModelQuestions:
    """What rules read of the model index, as questions (see analyzer/project.py)."""

    def __init__(self, index):
        self.index = index

    def get(self, name: Optional[str], kind: Optional[str] = None) -> Optional[Model]:
        return model_named(self.index, name, kind)

    def relation(self, model_name: Optional[str], attribute: str) -> Optional[Relation]:
        return model_relation(self.index, model_name, attribute)

    def subclasses(self, name: str) -> tuple:
        return model_subclasses(self.index, name)

    def with_field(self, name: str) -> tuple:
        return models_with_field(self.index, name)


def models_of(index) -> ModelQuestions:
    return ModelQuestions(index)


@dataclass(frozen=True)
class QueryLocation:
    path: str
    where: tuple  # (line, col, end_line, end_col)
    text: str

    @property
    def span(self) -> Span:
        return Span(self.path, *self.where)


@dataclass
class QueryFunctions:
    """Functions that run queries by qualified name, and the same names found by dotted suffix
    (a bisection, not a scan of every name)."""

    by_name: dict  # qualname -> [QueryLocation]
    names: DottedNames


def _build_query_functions(index) -> QueryFunctions:
    functions = {}
    for rel_path, summary in index.python.items():
        for qualname, queries in ((summary.get("db") or {}).get("query_functions") or {}).items():
            # A sixth item: the query's receiver is a session only if the project says so (`session: SessionDep`).
            kept = [QueryLocation(rel_path, tuple(q[:4]), q[4]) for q in queries
                    if len(q) < 6 or async_index(index).session_kind(tuple(q[5])) in ("sync", "async")]
            if kept:
                functions[qualname] = kept
    return QueryFunctions(functions, DottedNames(functions))


def _build_object_suffixes(index) -> dict:
    """Proper dotted suffix of a module-level object's name -> its types."""
    by_suffix: dict[str, set] = {}
    for name, type_ in index.get_derived("python.objects", build_object_types).items():
        for suffix in dotted_suffixes(name):
            by_suffix.setdefault(suffix, set()).add(type_)
    return by_suffix


def project_db_facts(facts, index) -> DbFacts:
    """The database facts of a file as the project settles them: with the queries on a receiver
    typed by a name from another file (`session: SessionDep`, an `Annotated[Session, ...]` alias
    there) that the index says is a session. Each check asks (so the answers are recorded)."""
    db = db_facts(facts)
    if not db.pending:
        return db
    return db.settled(lambda ref: session_kind(index, ref) in ("sync", "async"))


@question
def queries_of_function(index, callee: Optional[str]) -> list:
    """The queries run by the project function `callee` (qualified name; a
    unique suffix match is accepted, and `module.obj.method` for a module-level
    service object `obj = Service()`)."""
    if not callee:
        return []
    functions = index.get_derived("db.query_functions", _build_query_functions)
    found = functions.by_name.get(callee)
    if found is not None:
        return found
    # The one name ending with `.callee`, or that `callee` ends with.
    unique = functions.names.unique(callee)
    if unique is not None:
        return functions.by_name[unique]
    owner, _, method = callee.rpartition(".")
    if owner:
        type_ = index.get_derived("python.objects", build_object_types).get(owner)
        if type_ is None:
            candidates = index.get_derived("python.object_suffixes", _build_object_suffixes).get(owner, ())
            type_ = next(iter(candidates)) if len(candidates) == 1 else None
        if type_ is not None and type_ + "." + method != callee:
            return queries_of_function(index, f"{type_}.{method}")
    return []
