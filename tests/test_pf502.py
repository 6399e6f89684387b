"""PF502 image-not-lazy: which list images are worth lazy loading, the fix, and the size note
(config, asset resolution on disk, the cache)."""

from __future__ import annotations

import json
import os
import textwrap

import pytest

from perfscan.config import Config, ConfigError, load_config
from perfscan.engine import check_text, run
from perfscan.fixes import apply_edits
from perfscan.rules import rule_by_code_or_name
from tests.conftest import write_tree

RULE = rule_by_code_or_name("PF502")


def findings(code: str, path: str = "src/List.tsx", files: dict | None = None, settings: dict | None = None):
    config = Config(project_settings=dict(settings or {}))
    texts = {path: textwrap.dedent(code).lstrip("\n"), **(files or {})}
    return [f for f in check_text(texts, config=config, rules=[RULE]).findings if f.code == "PF502"]


def lines(code: str, **kw):
    return [f.span.line for f in findings(code, **kw)]


def in_list(img: str, items: str = "rows", prelude: str = "") -> str:
    return f"{prelude}\nexport function List({{ rows, size }}) {{\n  return <ul>{{{items}.map((row, i) => <li key={{i}}>{img}</li>)}}</ul>;\n}}\n"


@pytest.mark.parametrize("img, flagged", [
    ("<img src={row.url} />", True),
    ('<img src={row.url} loading="eager" />', False),
    ("<img src={row.url} {...row.props} />", False),
    ("<img src={row.url} width={24} height={24} />", False),
    ('<img src={row.url} width="32px" height="32" />', False),
    ("<img src={row.url} width={24} />", True),
    ("<img src={row.url} width={48} height={48} />", True),
    ('<img src={row.url} className="w-6 h-6 rounded-full" />', False),
    ('<img src={row.url} className="size-8" />', False),
    ('<img src={row.url} className="h-[20px] w-[20px]" />', False),
    ('<img src={row.url} className="size-16" />', True),
    ('<img src={row.url} className="h-6 w-full" />', True),
    ('<img src={row.url} className="destination-icon" />', False),
    ('<img src={row.url} className="icon_small" />', False),
    ('<img src={row.url} className="iconography-hero" />', True),
    ('<img src={`data:image/png;base64,${row.data}`} />', False),
    ("<img src={size} />", False),  # a prop: one URL for every row, fetched once
    ('<img src="/placeholder.png" />', False),
    ("<img />", False),
    ("<Image src={row.url} />", False),
])
def test_which_list_images_are_reported(img, flagged):
    assert bool(lines(in_list(img))) is flagged


@pytest.mark.parametrize("items, prelude, flagged", [
    ('["/a.png", "/b.png", "/c.png"]', "", False),
    ("LOGOS", 'const LOGOS = ["/a.png", "/b.png", "/c.png", "/d.png"];', False),
    ("LOGOS", "const LOGOS = [" + ", ".join(f'"/{n}.png"' for n in range(8)) + "];", True),
    ("LOGOS", "let LOGOS = [\"/a.png\"]; LOGOS = load();", True),
    ("rows.slice(0, 3)", "", False),
    ("rows.slice(0, MAX)", "const MAX = 5;", False),
    ("rows.slice(0, 20)", "", True),
    ("rows.slice(2)", "", True),
    ("[...rows, extra]", "", True),
    ("virtualizer.getVirtualItems()", "", False),
    ("virtualRows", "", False),
])
def test_lists_short_by_construction_are_not_reported(items, prelude, flagged):
    assert bool(lines(in_list("<img src={row.url} />", items, prelude))) is flagged


def test_list_forms_nesting_and_what_is_not_a_list():
    code = """
        export function Grid({ pages, cover }) {
          const thumbs = useMemo(() => pages.flatMap((p) => p.images.map((im) => <img key={im} src={im} />)), [pages]);
          const renderRow = (p) => <img src={p.url} />;
          return (
            <div>
              <img src={cover} />
              {Array.from(pages, (p) => <img key={p.id} src={p.url} />)}
              {(() => pages.map((p) => (p.hidden ? null : <><img src={p.url} /></>)))()}
              {thumbs}
              <List renderItem={renderRow} />
            </div>
          );
        }
    """
    assert lines(code) == [2, 7, 8]


def test_an_item_component_of_the_same_file():
    card = """
        import fallback from "./fallback.png";
        function Card({ item }) {
          return <div><img src={item.photo} alt="" /><img src={fallback} alt="" /><img src="/x.png" alt="" /></div>;
        }
    """
    in_list_only = card + """
        export const Grid = ({ items }) => <section>{items.map((item) => <Card key={item.id} item={item} />)}</section>;
    """
    (finding,) = findings(in_list_only)
    assert (finding.span.line, finding.span.col) == (3, 15) and "through `<Card>`" in finding.message
    assert [(r.span.line, r.span.col) for r in finding.related] == [(6, 66)]
    also_alone = in_list_only + """
        export const Hero = ({ item }) => <Card item={item} />;
    """
    assert findings(also_alone) == []  # the fix would make the hero lazy too
    short = card + """
        export const Top = ({ items }) => <section>{items.slice(0, 3).map((item) => <Card key={item.id} item={item} />)}</section>;
    """
    assert findings(short) == []


def test_message_related_location_and_fix():
    code = in_list("<img src={row.url} alt={row.name} decoding=\"sync\" />")
    (finding,) = findings(code)
    assert finding.level == "warning"
    assert "every item of `rows`" in finding.message and "no `width`/`height`" in finding.message
    assert [r.message for r in finding.related] == ["rendered per item here"]
    text = textwrap.dedent(code).lstrip("\n")
    assert finding.fix.safe and apply_edits(text, finding.fix.edits) == text.replace("<img src", '<img loading="lazy" src')


@pytest.mark.parametrize("img, says_dimensions", [
    ("<img src={row.url} />", True),
    ('<img src={row.url} className="absolute h-full w-full object-cover" />', False),
    ('<img src={row.url} className={cn("aspect-video", row.wide && "w-full")} />', False),
    ('<img src={row.url} className="w-full rounded" />', True),
    ("<img src={row.url} style={{ width: 240, height: 120 }} />", False),
    ("<img src={row.url} style={{ aspectRatio: '4 / 3' }} />", False),
    ("<img src={row.url} width={240} height={240} />", False),
])
def test_the_message_asks_for_dimensions_only_where_nothing_gives_the_box(img, says_dimensions):
    (finding,) = findings(in_list(img))
    assert ("no `width`/`height`" in finding.message) is says_dimensions


def test_not_shipped_files_are_not_checked_but_next_server_components_are():
    code = in_list("<img src={row.url} />")
    assert lines(code, path="src/List.test.tsx") == []
    assert lines(code, path="server/emails/Digest.tsx") == []
    assert lines(code, path="examples/with-vite/src/List.tsx") == []
    next_app = {"package.json": json.dumps({"dependencies": {"next": "14"}})}
    assert lines(code, path="app/gallery/page.tsx", files=next_app) == [2]


BIG = "x" * 150_000


def test_size_note_for_public_urls_imports_aliases_and_module_constants():
    code = """
        import hero from "@/assets/hero.jpg?url";
        import logo from "./logo.gif";
        import small from "./small.png";
        const BANNER = "/banner.png";
        export function Page() {
          return (
            <main>
              <img src={hero} alt="" />
              <img src={logo} alt="" />
              <img src={small} alt="" />
              <img src={BANNER} alt="" />
              <img src="/missing.png" alt="" />
              <img src="https://cdn.example.org/big.png" alt="" />
              <img src="/photo.webp" alt="" />
              <img src={BANNER} alt="" />
            </main>
          );
        }
    """
    files = {
        "web/tsconfig.json": json.dumps({"compilerOptions": {"baseUrl": ".", "paths": {"@/*": ["src/*"]}}}),
        "web/package.json": "{}",
        "web/src/assets/hero.jpg": BIG,
        "web/src/pages/logo.gif": BIG,
        "web/src/pages/small.png": "x" * 1000,
        "web/public/banner.png": BIG,
        "web/public/photo.webp": BIG,
    }
    found = findings(code, path="web/src/pages/Page.tsx", files=files)
    assert [(f.span.line, f.level, f.properties["asset"]) for f in found] == [
        (8, "note", "web/src/assets/hero.jpg"),
        (9, "note", "web/src/pages/logo.gif"),
        (11, "note", "web/public/banner.png"),  # once per file and image: line 15 is the same file
    ]
    assert "146 KB JPEG" in found[0].message and "WebP or AVIF" in found[0].message
    assert [f.span.line for f in findings(code, path="web/src/pages/Page.tsx", files=files,
                                          settings={"image_size_note_kb": 200})] == []
    assert [f.span.line for f in findings(code, path="web/src/pages/Page.tsx", files=files,
                                          settings={"image_size_note_kb": 0})] == []


def test_an_imported_image_is_noted_once_in_the_first_file_importing_it():
    spinner = 'import spinner from "@/assets/spinner.gif";\nexport const {name} = () => <img src={{spinner}} alt="" />;\n'
    files = {
        "tsconfig.json": json.dumps({"compilerOptions": {"paths": {"@/*": ["./src/*"]}}}),
        "src/assets/spinner.gif": BIG,
        "src/b/Loading.tsx": spinner.format(name="Loading"),
        "src/c/Helper.ts": 'import spinner from "../assets/spinner.gif";\nexport const url = spinner;\n',
    }
    result = check_text({"src/a/Spinner.tsx": spinner.format(name="Spinner"), **files}, rules=[RULE])
    assert [(f.span.path, f.level) for f in result.findings] == [("src/a/Spinner.tsx", "note")]
    assert "(3 files import it; noted here once.)" in result.findings[0].message


def test_a_list_image_with_one_large_source_for_every_row_gets_the_note_not_the_list_finding():
    (finding,) = findings(in_list('<img src="/big.png" alt={row.name} />'), files={"public/big.png": BIG})
    assert finding.level == "note" and finding.fix is None and "/big.png" in finding.message


def test_config_image_size_note_kb(tmp_path):
    path = tmp_path / "perfscan.toml"
    path.write_text("image-size-note-kb = 250\n")
    assert load_config(str(path)).project_settings["image_size_note_kb"] == 250
    for bad in ("-1", "true", '"100"', "1.5"):
        path.write_text(f"image-size-note-kb = {bad}\n")
        with pytest.raises(ConfigError, match="image-size-note-kb"):
            load_config(str(path))


def test_assets_on_disk_follow_the_cache_and_links_out_of_the_project_are_not_measured(tmp_path, monkeypatch):
    page = 'export function Page() {\n  return <img src="/hero.png" alt="" />;\n}\n'
    project = write_tree(tmp_path / "p", {"package.json": "{}", "src/Page.tsx": page, "public/hero.png": b"x" * 50_000})
    outside = write_tree(tmp_path / "outside", {"huge.png": b"x" * 500_000})
    monkeypatch.chdir(project)
    cache, config = str(tmp_path / "cache"), Config(select=("PF502",))
    assert run(["."], config, cache_dir=cache).findings == []
    (project / "public/hero.png").write_bytes(b"x" * 300_000)  # the source is unchanged; the image grew
    warm = run(["."], config, cache_dir=cache)
    assert [(f.span.line, f.properties["bytes"]) for f in warm.findings] == [(2, 300_000)]
    os.remove(project / "public/hero.png")
    os.symlink(outside / "huge.png", project / "public/hero.png")
    assert run(["."], config, cache_dir=cache).findings == []
