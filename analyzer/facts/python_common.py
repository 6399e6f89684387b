"""Pieces of the Python facts that python.py and python_async.py both read. They live here so
python_async (built on PythonFacts) never imports python.py, which imports it for the summary:
the facts modules import in one direction only."""

from __future__ import annotations

from typing import Optional

# Calls that run their function argument on a worker thread, and which
# positional argument is that function.
OFFLOADERS = {
    "asyncio.to_thread": 0,
    "starlette.concurrency.run_in_threadpool": 0,
    "fastapi.concurrency.run_in_threadpool": 0,
    "anyio.to_thread.run_sync": 0,
    "asgiref.sync.sync_to_async": 0,
}


def _string_value(facts, node) -> Optional[str]:
    if node is None or node.type != "string":
        return None
    if any(c.type == "interpolation" for c in node.named_children):
        return None
    return "".join(facts._text(c) for c in node.named_children if c.type == "string_content")


def _call_arguments(call):
    args = call.child_by_field_name("arguments")
    positional, keywords = [], {}
    for arg in args.named_children if args else ():
        if arg.type == "keyword_argument":
            name = arg.child_by_field_name("name")
            if name is not None:
                keywords[name.text.decode("utf-8", "replace")] = arg.child_by_field_name("value")
        elif arg.type != "comment":
            positional.append(arg)
    return positional, keywords
