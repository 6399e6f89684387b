"""PF201 on each blocking form added to the catalogue (analyzer/blocking.py) after measuring
against flake8-async's and ruff's test suites (benchmarks/peer_recall.py): one flagged and one
fine use of each, with exact positions."""

from __future__ import annotations

import textwrap

from perfscan.engine import check_text
from perfscan.rules import rule_by_code_or_name

RULE = rule_by_code_or_name("PF201")


def positions(text: str) -> list:
    """(line, col, callee) of each PF201 finding in one file."""
    result = check_text({"app/work.py": textwrap.dedent(text).lstrip("\n")}, rules=[RULE])
    assert not result.notifications, result.notifications
    return [(f.span.line, f.span.col, f.properties["callee"]) for f in result.findings if f.code == "PF201"]


def test_os_spawn_and_posix_spawn():
    assert positions(
        """
        import os

        async def convert(path):
            os.spawnlp(os.P_WAIT, "convert", "convert", path)
            os.posix_spawn("/usr/bin/gzip", ["gzip", path], {})

        def convert_sync(path):
            os.spawnv(os.P_WAIT, "/usr/bin/convert", ["convert", path])
        """
    ) == [(4, 5, "os.spawnlp"), (5, 5, "os.posix_spawn")]


def test_os_wait_family():
    assert positions(
        """
        import asyncio
        import os

        async def reap(pid):
            os.waitpid(pid, 0)
            os.wait()
            return await asyncio.to_thread(os.waitpid, pid, 0), os.WNOHANG
        """
    ) == [(5, 5, "os.waitpid"), (6, 5, "os.wait")]


def test_method_of_a_file_opened_elsewhere():
    assert positions(
        """
        import io

        class AuditLog:
            def __init__(self, path):
                self.handle = open(path, "a")

            async def record(self, line):
                self.handle.write(line)
                self.handle.flush()
                return self.handle.fileno()

        async def copy_into(target: io.BufferedWriter, data: bytes):
            target.write(data)

        async def render(rows):
            buffer = io.StringIO()
            buffer.write(",".join(rows))
            return buffer.getvalue()
        """
    ) == [
        (8, 9, "io.TextIOWrapper.write"),
        (9, 9, "io.TextIOWrapper.flush"),
        (13, 5, "io.BufferedWriter.write"),
    ]


def test_file_opened_in_the_same_function_is_reported_once_at_the_opening():
    assert positions(
        """
        from pathlib import Path

        async def load(path):
            with open(path) as handle:
                header = handle.readline()
            data = Path(path).open("rb").read()
            f = open(path)
            return header, data, f.read()
        """
    ) == [(4, 10, "builtins.open"), (6, 12, "pathlib.Path.open"), (7, 9, "builtins.open")]


def test_urllib3_pool_methods_beyond_request():
    assert positions(
        """
        import urllib3

        manager = urllib3.PoolManager()

        async def fetch(url, body):
            pool = urllib3.HTTPSConnectionPool("api.example.com")
            pool.request_encode_body("POST", "/v1", fields=body)
            manager.urlopen("GET", url)
            pool.close()
            return manager.connection_from_url(url)
        """
    ) == [
        (7, 5, "urllib3.HTTPSConnectionPool.request_encode_body"),
        (8, 5, "urllib3.PoolManager.urlopen"),
        (9, 5, "urllib3.HTTPSConnectionPool.close"),
    ]


def test_sync_httpx_client_bound_to_a_local_including_close():
    assert positions(
        """
        import httpx

        async def ping(url):
            client = httpx.Client(timeout=5)
            request = client.build_request("GET", url)
            client.send(request)
            client.close()
            async with httpx.AsyncClient() as session:
                await session.get(url)
                await session.aclose()
        """
    ) == [(6, 5, "httpx.Client.send"), (7, 5, "httpx.Client.close")]


def test_httpx2_is_httpx():
    assert positions(
        """
        import httpx2

        async def ping(url):
            httpx2.get(url)
            with httpx2.Client() as client:
                client.post(url)
        """
    ) == [(4, 5, "httpx2.get"), (6, 9, "httpx2.Client.post")]


def test_open_code_and_fdopen():
    assert positions(
        """
        import io
        import os

        async def run_plugin(path, fd):
            source = io.open_code(path)
            out = os.fdopen(fd, "w")
            return source, out, os.fspath(path)
        """
    ) == [(5, 14, "io.open_code"), (6, 11, "os.fdopen")]


def test_tempfile_rewrite_in_place():
    assert positions(
        """
        import os
        import tempfile

        async def save(path, text):
            fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path))
            with os.fdopen(fd, "w") as out:
                out.write(text)
            os.replace(tmp, path)
        """
    ) == [(5, 15, "tempfile.mkstemp"), (6, 10, "os.fdopen"), (8, 5, "os.replace")]


def test_tree_copies_and_directory_walks():
    assert positions(
        """
        import shutil
        from pathlib import Path

        import anyio

        async def rotate(src, dst):
            shutil.copytree(src, dst)
            shutil.rmtree(src)
            listing = list(Path(dst).iterdir())
            Path(dst, "stale.lock").unlink()
            names = [p async for p in anyio.Path(dst).iterdir()]
            return listing, names, Path(dst).name, shutil.which("gzip")
        """
    ) == [
        (7, 5, "shutil.copytree"),
        (8, 5, "shutil.rmtree"),
        (9, 20, "pathlib.Path.iterdir"),
        (10, 5, "pathlib.Path.unlink"),
    ]


def test_boto3_resource_actions_and_collections():
    assert positions(
        """
        import boto3

        s3 = boto3.resource("s3")

        async def archive(bucket_name, prefix):
            bucket = s3.Bucket(bucket_name)
            target = bucket.Object(f"{prefix}/index.json")
            for item in bucket.objects.filter(Prefix=prefix):
                item.delete()
            target.put(Body=b"{}")
        """
    ) == [(8, 17, "boto3.Resource.Bucket.objects.filter"), (10, 5, "boto3.Resource.Bucket.Object.put")]


def test_concurrent_futures_result():
    assert positions(
        """
        import asyncio
        from concurrent.futures import ThreadPoolExecutor

        async def crunch(work):
            with ThreadPoolExecutor() as pool:
                future = pool.submit(work)
                first = future.result()
                second = await asyncio.wrap_future(pool.submit(work))
            waiter = asyncio.get_running_loop().create_future()
            return first, second, waiter.result()
        """
    ) == [(7, 17, "concurrent.futures.Future.result")]


def test_wrap_file_takes_the_file_to_worker_threads():
    assert positions(
        """
        import anyio
        import trio

        async def tail(path):
            async with anyio.wrap_file(open(path)) as handle:
                last = await handle.readline()
            other = await trio.wrap_file(open(path, "rb"))
            fallback = open(path)
            return last, other, fallback
        """
    ) == [(8, 16, "builtins.open")]


def test_types_follow_flat_tuple_unpacking():
    assert positions(
        """
        from pathlib import Path

        import httpx

        async def sweep(a, b):
            (old, new) = (Path(a), Path(b))
            client, retries = httpx.Client(), 3
            old.unlink()
            client.get(b)
            first, *rest = Path(a), Path(b)
            first.unlink()
            new, old = retries, new
            old.unlink()
            new.unlink()
        """
    ) == [(8, 5, "pathlib.Path.unlink"), (9, 5, "httpx.Client.get"), (13, 5, "pathlib.Path.unlink")]
