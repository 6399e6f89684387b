"""The catalogue of calls that block the calling thread (and so an event loop).

Data only, keyed by the qualified callee name PythonFacts resolves
(`requests.get`, `requests.Session.get`, `builtins.open`). Rules (PF201 now,
the cross-module "may block" index later) read it through `blocking_call`.
Add a family by adding entries here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

OFFLOAD_HINT = "or run it with `await asyncio.to_thread(...)`"


@dataclass(frozen=True)
class BlockingCall:
    category: str  # short noun phrase for messages and properties: "HTTP request"
    instead: str  # what to use instead (Markdown-free text, code in backticks)


HTTP = BlockingCall("HTTP request", f"use `httpx.AsyncClient` and `await` it, {OFFLOAD_HINT}")
SLEEP = BlockingCall("sleep", "use `await asyncio.sleep(...)`")
FILE_IO = BlockingCall(
    "file I/O", f"use `aiofiles` or `anyio.Path` and `await` it, {OFFLOAD_HINT}"
)
PROCESS = BlockingCall(
    "subprocess", "use `await asyncio.create_subprocess_exec(...)` (or `anyio.run_process`)"
)
INPUT = BlockingCall("console input", "read input before starting the event loop, or `await asyncio.to_thread(input, ...)`")
WAIT = BlockingCall(
    "waiting for a child process", "use `asyncio.create_subprocess_exec(...)` and `await proc.wait()`"
)
FUTURE = BlockingCall(
    "waiting for a thread-pool future", "use `await asyncio.wrap_future(future)` (or `await loop.run_in_executor(...)`)"
)


def _db(driver_instead: str) -> BlockingCall:
    return BlockingCall("database driver", f"use {driver_instead}, {OFFLOAD_HINT}")


_HTTP_VERBS = ("get", "post", "put", "patch", "delete", "head", "options", "request")
_HTTPX = ("httpx", "httpx2")
_SPAWN = ("spawnl", "spawnle", "spawnlp", "spawnlpe", "spawnv", "spawnve", "spawnvp", "spawnvpe", "posix_spawn", "posix_spawnp")

BLOCKING_CALLS: dict[str, BlockingCall] = {
    # HTTP clients
    **{f"requests.{verb}": HTTP for verb in _HTTP_VERBS},
    **{f"requests.api.{verb}": HTTP for verb in _HTTP_VERBS},
    **{f"requests.Session.{verb}": HTTP for verb in _HTTP_VERBS + ("send",)},
    **{f"requests.sessions.Session.{verb}": HTTP for verb in _HTTP_VERBS + ("send",)},
    "urllib.request.urlopen": HTTP,
    "urllib3.request": HTTP,
    # httpx2 continues httpx under another name, with the same API.
    **{f"{httpx}.{verb}": HTTP for httpx in _HTTPX for verb in _HTTP_VERBS + ("stream",)},
    # `close` too: closing a sync client closes its pooled connections on this thread.
    **{f"{httpx}.Client.{verb}": HTTP for httpx in _HTTPX for verb in _HTTP_VERBS + ("send", "stream", "close")},
    # sleeping
    "time.sleep": SLEEP,
    # files
    "builtins.open": FILE_IO,
    "io.open": FILE_IO,
    "io.open_code": FILE_IO,
    "os.fdopen": FILE_IO,
    "codecs.open": FILE_IO,
    **{f"tempfile.{f}": FILE_IO for f in ("TemporaryFile", "NamedTemporaryFile", "mkstemp", "mkdtemp", "TemporaryDirectory")},
    **{f"pathlib.Path.{m}": FILE_IO for m in (
        "read_text", "read_bytes", "write_text", "write_bytes", "open",
        # directory listings (a system call per entry) and changes to the directory tree; single
        # metadata reads (`exists`, `stat`) are left out: one fast system call, and everywhere
        "iterdir", "glob", "rglob", "walk", "unlink", "rmdir", "mkdir", "touch", "rename", "replace",
    )},
    **{f"os.{f}": FILE_IO for f in (
        "listdir", "scandir", "walk", "remove", "unlink", "rmdir", "mkdir", "makedirs", "removedirs", "rename", "replace",
    )},
    "glob.glob": FILE_IO,
    "glob.iglob": FILE_IO,
    **{f"shutil.{f}": FILE_IO for f in (
        "copy", "copy2", "copyfile", "copyfileobj", "copytree", "rmtree", "move", "make_archive", "unpack_archive",
    )},
    # processes
    **{f"subprocess.{f}": PROCESS for f in ("run", "call", "check_call", "check_output", "Popen", "getoutput", "getstatusoutput")},
    "os.system": PROCESS,
    "os.popen": PROCESS,
    **{f"os.{f}": PROCESS for f in _SPAWN},
    **{f"os.{f}": WAIT for f in ("wait", "wait3", "wait4", "waitid", "waitpid")},
    # `Future.result()` of concurrent.futures waits for the worker on this thread.
    "concurrent.futures.Future.result": FUTURE,
    "concurrent.futures.Future.exception": FUTURE,
    "concurrent.futures.wait": FUTURE,
    # blocking database drivers
    "psycopg2.connect": _db("`asyncpg` or `psycopg.AsyncConnection`"),
    "psycopg.connect": _db("`psycopg.AsyncConnection.connect`"),
    "pymysql.connect": _db("`aiomysql` or `asyncmy`"),
    "sqlite3.connect": _db("`aiosqlite`"),
    # console
    "builtins.input": INPUT,
}


CACHE = BlockingCall("Redis command", f"use `redis.asyncio.Redis` and `await` it, {OFFLOAD_HINT}")
MONGO = BlockingCall("MongoDB query", f"use `motor` (or `pymongo.AsyncMongoClient`) and `await` it, {OFFLOAD_HINT}")
AWS = BlockingCall("AWS API call", f"use `aioboto3` / `aiobotocore`, {OFFLOAD_HINT}")
SMTP = BlockingCall("SMTP", f"use `aiosmtplib`, {OFFLOAD_HINT}")
FILE_OBJECT = BlockingCall(
    "file I/O", f"open the file with `anyio.open_file` / `aiofiles.open` and `await` its methods, {OFFLOAD_HINT}"
)
HASHING = BlockingCall(
    "CPU-heavy password hashing", "run it with `await asyncio.to_thread(...)` (or `run_in_threadpool`)"
)

BLOCKING_CALLS.update(
    {
        "bcrypt.hashpw": HASHING,
        "bcrypt.checkpw": HASHING,
        "bcrypt.kdf": HASHING,
        **{f"passlib.context.CryptContext.{m}": HASHING for m in ("hash", "verify", "verify_and_update", "encrypt")},
        **{f"argon2.PasswordHasher.{m}": HASHING for m in ("hash", "verify")},
        "hashlib.pbkdf2_hmac": HASHING,
        "hashlib.scrypt": HASHING,
        "smtplib.SMTP": SMTP,
        "smtplib.SMTP_SSL": SMTP,
        "pymongo.MongoClient": MONGO,
    }
)

# Every method called on an instance of these types (and on attributes
# reached from it: `client.db.users.find_one`) does I/O, except the listed
# local ones.
_URLLIB3_LOCAL = frozenset({
    "connection_from_host", "connection_from_url", "connection_from_context", "connection_from_pool_key",
    "is_same_host", "headers",
})
_FILE_LOCAL = frozenset({"fileno", "isatty", "readable", "writable", "seekable", "detach"})

BLOCKING_TYPES: dict[str, tuple[BlockingCall, frozenset]] = {
    "redis.Redis": (CACHE, frozenset({"pipeline", "pubsub", "lock", "register_script", "get_encoder", "connection_pool"})),
    "redis.StrictRedis": (CACHE, frozenset({"pipeline", "pubsub", "lock", "register_script"})),
    "redis.client.Redis": (CACHE, frozenset({"pipeline", "pubsub", "lock", "register_script"})),
    "pymongo.MongoClient": (MONGO, frozenset({"get_database", "get_default_database", "get_collection", "with_options",
                                              "start_session"})),
    "pymongo.mongo_client.MongoClient": (MONGO, frozenset({"get_database", "get_collection", "with_options"})),
    "boto3.Client": (AWS, frozenset({"generate_presigned_url", "generate_presigned_post", "get_paginator", "get_waiter",
                                     "can_paginate", "close"})),
    "smtplib.SMTP": (SMTP, frozenset()),
    "smtplib.SMTP_SSL": (SMTP, frozenset()),
    # boto3 resources: `s3.Bucket(name)` and `bucket.Object(key)` only build local handles
    # (capitalised: see blocking_call); loading, actions and collections (`bucket.objects.all()`,
    # iterated right after) call AWS.
    "boto3.Resource": (AWS, frozenset({"meta", "get_available_subresources"})),
    # urllib3 pools: every request method does I/O; these only look up or build pools.
    **{pool: (HTTP, _URLLIB3_LOCAL) for pool in (
        "urllib3.PoolManager", "urllib3.ProxyManager", "urllib3.HTTPConnectionPool", "urllib3.HTTPSConnectionPool",
        "urllib3.connectionpool.ConnectionPool", "urllib3.connectionpool.HTTPConnectionPool",
        "urllib3.connectionpool.HTTPSConnectionPool", "urllib3.poolmanager.PoolManager",
        "urllib3.poolmanager.ProxyManager", "urllib3.request.RequestMethods", "urllib3._request_methods.RequestMethods",
    )},
    # Files opened for real (PythonFacts types `open(...)`, `os.fdopen(...)`, `Path.open()` as
    # io.TextIOWrapper); in-memory io.StringIO / io.BytesIO are not listed.
    **{file_type: (FILE_OBJECT, _FILE_LOCAL) for file_type in (
        "io.TextIOWrapper", "io.BufferedReader", "io.BufferedWriter", "io.BufferedRandom", "io.FileIO",
    )},
}


# Calls that return an open file: PythonFacts types their result (through FACTORY_TYPES), so
# `f = open(p)` then `f.read()` resolves to `io.TextIOWrapper.read`. A file method called in the
# function that opened the file is the same cause as the opening call and is reported once, there.
FILE_OPENERS: dict[str, str] = {
    "builtins.open": "io.TextIOWrapper",
    "io.open": "io.TextIOWrapper",
    "io.open_code": "io.BufferedReader",
    "os.fdopen": "io.TextIOWrapper",
    "pathlib.Path.open": "io.TextIOWrapper",
    "tempfile.TemporaryFile": "io.BufferedRandom",
    "tempfile.NamedTemporaryFile": "io.BufferedRandom",
}

# Lower-case functions whose result has a known type (read by PythonFacts).
INSTANCE_FACTORIES: dict[str, str] = {
    **FILE_OPENERS,
    "concurrent.futures.ThreadPoolExecutor.submit": "concurrent.futures.Future",
    "concurrent.futures.ProcessPoolExecutor.submit": "concurrent.futures.Future",
    "concurrent.futures.Executor.submit": "concurrent.futures.Future",
}

# Calls that take a sync file and use it only through worker threads from then on
# (`await trio.wrap_file(open(p))`): the call making their argument is not reported.
THREAD_WRAPPERS = frozenset({"trio.wrap_file", "anyio.wrap_file"})


_TYPE_ROOTS = frozenset(name.split(".", 1)[0] for name in BLOCKING_TYPES)


def blocking_call(qualified_name: Optional[str]) -> Optional[BlockingCall]:
    """The catalogue entry for a resolved callee, or None."""
    if not qualified_name:
        return None
    entry = BLOCKING_CALLS.get(qualified_name)
    if entry is not None:
        return entry
    if qualified_name.split(".", 1)[0] not in _TYPE_ROOTS and not qualified_name.startswith("mypy_boto3_"):
        return None
    owner, _, method = qualified_name.rpartition(".")
    if owner.startswith("mypy_boto3_") and owner.endswith("Client"):
        # boto3 clients typed with the mypy-boto3 stubs: `mypy_boto3_s3.client.S3Client`
        owner = "boto3.Client"
    elif owner.startswith("mypy_boto3_") and ".service_resource." in owner:
        # resources typed with the stubs: `mypy_boto3_s3.service_resource.Bucket`
        owner = "boto3.Resource"
    for type_, (blocking, local_methods) in BLOCKING_TYPES.items():
        if (owner == type_ or owner.startswith(type_ + ".")) and method not in local_methods:
            if type_ == "boto3.Resource" and method[:1].isupper():
                return None  # a sub-resource handle, `s3.Bucket(name)`: no request yet
            return blocking
    return None
