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


def _db(driver_instead: str) -> BlockingCall:
    return BlockingCall("database driver", f"use {driver_instead}, {OFFLOAD_HINT}")


_HTTP_VERBS = ("get", "post", "put", "patch", "delete", "head", "options", "request")

BLOCKING_CALLS: dict[str, BlockingCall] = {
    # HTTP clients
    **{f"requests.{verb}": HTTP for verb in _HTTP_VERBS},
    **{f"requests.api.{verb}": HTTP for verb in _HTTP_VERBS},
    **{f"requests.Session.{verb}": HTTP for verb in _HTTP_VERBS + ("send",)},
    **{f"requests.sessions.Session.{verb}": HTTP for verb in _HTTP_VERBS + ("send",)},
    "urllib.request.urlopen": HTTP,
    "urllib3.request": HTTP,
    **{f"urllib3.PoolManager.{m}": HTTP for m in ("request", "urlopen", "request_encode_url", "request_encode_body")},
    **{f"urllib3.poolmanager.PoolManager.{m}": HTTP for m in ("request", "urlopen")},
    **{f"urllib3.HTTPConnectionPool.{m}": HTTP for m in ("request", "urlopen")},
    **{f"urllib3.HTTPSConnectionPool.{m}": HTTP for m in ("request", "urlopen")},
    **{f"httpx.{verb}": HTTP for verb in _HTTP_VERBS + ("stream",)},
    **{f"httpx.Client.{verb}": HTTP for verb in _HTTP_VERBS + ("send", "stream")},
    # sleeping
    "time.sleep": SLEEP,
    # files
    "builtins.open": FILE_IO,
    "io.open": FILE_IO,
    **{f"pathlib.Path.{m}": FILE_IO for m in ("read_text", "read_bytes", "write_text", "write_bytes", "open")},
    # processes
    **{f"subprocess.{f}": PROCESS for f in ("run", "call", "check_call", "check_output", "Popen", "getoutput", "getstatusoutput")},
    "os.system": PROCESS,
    "os.popen": PROCESS,
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
}


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
    for type_, (blocking, local_methods) in BLOCKING_TYPES.items():
        if (owner == type_ or owner.startswith(type_ + ".")) and method not in local_methods:
            return blocking
    return None
