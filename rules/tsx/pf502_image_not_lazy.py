"""PF502 image-not-lazy: an `<img>` rendered per item of a list that loads eagerly, and raster
images of the project large enough to be worth WebP/AVIF."""

from __future__ import annotations

import re

from perfscan.bundle_index import image_asset_size, image_importers, image_note_threshold_kb, not_shipped_reason
from perfscan.facts import tsx as model
from perfscan.facts.tsx_routes import literal_string
from perfscan.findings import Fix, Related, TextEdit
from perfscan.react_values import short_text
from perfscan.rule import Rule, flag, ok

LIST_METHODS = frozenset({"map", "flatMap"})
# A list this short (a literal array, `.slice(0, 4)`) is a handful of images: not worth it.
SHORT_LIST = 6
# An image drawn this small (CSS pixels, both sides) is an icon: a few hundred bytes each.
ICON_PX = 32
RASTER_EXTENSIONS = (".png", ".jpg", ".jpeg", ".gif")
# Tailwind sizes in className: `size-6`, `w-8 h-8` (units of 4 px), `h-[24px]`.
_TAILWIND_SIZE = re.compile(r"(?:^|\s)(?:[a-z0-9]+:)*(size|w|h)-(\d+(?:\.5)?|\[\d+px\])(?=\s|$)")
# Tailwind utilities giving a box: `w-full`, `h-48`, `size-10`, `aspect-video`, `md:h-[120px]`.
_CSS_SIDE = re.compile(r"(?:^|\s)(?:[a-z0-9]+:)*(size|aspect|w|h)-[\w./\[\]-]+")
_ICON_CLASS = re.compile(r"(?:^|[\s_-])icon(?:$|[\s_-])", re.IGNORECASE)
_VIRTUAL = re.compile(r"[Vv]irtual")
_GENERATED_URL = re.compile(r"^[`'\"](?:data|blob):")
EXTENSION_NAMES = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".gif": "GIF"}


class ImageNotLazy(Rule):
    code = "PF502"
    name = "image-not-lazy"
    languages = frozenset({"tsx"})
    level = "warning"
    tags = ("images", "network", "frontend")
    hot_path_only = True  # tests render no page anyone waits for (analyzer/test_paths.py)
    summary = ("An `<img>` rendered for every item of a list without `loading=\"lazy\"` downloads every image of the "
               "list at page load, offscreen ones too; large PNG/JPEG/GIF files are worth WebP or AVIF.")

    what_it_does = """
        Finds `<img>` elements rendered **once per item of a list** — inside the callback of
        `.map(...)` / `.flatMap(...)` (also nested in conditions or fragments there) or of
        `Array.from(xs, fn)` — that have no `loading` attribute. The message also says when the
        image has no `width`/`height`. The finding is at the `<img` element.

        It also notes a **large raster image**: an `<img>` whose source is a literal path of a
        `.png`, `.jpg`/`.jpeg` or `.gif` file of the repository over `image-size-note-kb` (default
        100 KB; 0 turns the note off) — a URL served from the package's `public/` folder
        (`src="/hero.png"`, `src="images/hero.png"`) or an imported file (`import hero from
        "./hero.png"`, also through tsconfig `paths`). That note comes at level `note`, once per
        image: in each file for a URL, in the first file (by path) importing an imported one.

        Not reported: images outside lists (the single above-the-fold hero or logo should load at
        once), `next/image` and other components (only the DOM `img` tag is checked), images with
        `loading` set to anything (`loading={i < 4 ? "eager" : "lazy"}` is a decision already made)
        or with spread props (`{...props}` may set it), lists that are short by construction — a
        literal array of at most 6 items (directly or through a `const`), `.slice(0, n)` with
        `n <= 6` — icons drawn at 32 px or less (`width`/`height` both at most 32, or Tailwind
        `size-8`, `w-6 h-6`, `h-[24px] w-[24px]`, or a class name saying so: `icon`,
        `destination-icon`), sources that are `data:`/`blob:` URLs or
        `URL.createObjectURL(...)` (nothing to fetch), a source that is the same for every item (a
        literal, an import, a module constant, a prop: one request, then the browser's cache),
        virtualized lists (`virtualizer.getVirtualItems().map(...)`, `virtualRows.map(...)`: only
        the rows in view are rendered), and code that is not shipped to the browser (tests,
        stories, example and demo apps, `server/` folders such as e-mail templates).

        An `<img>` in a component of the same file that is rendered only in lists' callbacks
        (`products.map((p) => <ProductCard product={p} />)`) counts as rendered per item when its
        source comes from the component's props or state; a component from another file (an
        imported `<Avatar>` rendered per item) is not followed.
    """
    why_slow = """
        Without `loading="lazy"` the browser requests every image of the list as soon as the
        markup arrives, including the ones far below the fold that the user may never scroll to:
        for a grid of 60 product photos of 150 KB that is 9 MB fetched at once, contending for
        bandwidth and connection slots with the images, scripts and API calls the visible page
        needs, and decoding on the main thread. Lazy images are fetched as they approach the
        viewport. An image without `width`/`height` takes no space until it arrives, so the
        content below it jumps (Cumulative Layout Shift) — lazy loading makes that more visible,
        so give it dimensions (or a CSS `aspect-ratio`). A PNG or JPEG photo re-encoded as WebP is
        typically 25–35% smaller, as AVIF often half the size.
    """
    how_to_measure = """
        Chrome DevTools, Network panel filtered to *Img*, reload without scrolling: every image of
        the list is requested at load, with its size in *Transferred*. Lighthouse lists them under
        "Defer offscreen images" (with the bytes that could be saved) and "Serve images in
        next-gen formats"; the Performance panel's *Layout shifts* track and the web-vitals CLS
        value show the jumps from images without dimensions.
    """
    use_instead = """
        Add `loading="lazy" decoding="async"` to the `<img>` (the fix does this), and `width` and
        `height` (or a CSS `aspect-ratio`) so the space is reserved. When the list starts above the
        fold, keep its first few images eager: `loading={index < 4 ? "eager" : "lazy"}`. With
        Next.js, `next/image` does both and serves WebP/AVIF. Convert large PNG/JPEG/GIF files to
        WebP or AVIF (`cwebp`, `avifenc`, `sharp`, or a `<picture>` with fallbacks).
    """

    examples = (
        flag(
            """
            export function ProductGrid({ products }) {
              return (
                <ul className="grid grid-cols-4 gap-4">
                  {products.map((product) => (
                    <li key={product.id}>
                      <img src={product.imageUrl} alt={product.name} width={240} height={240} />
                      <span>{product.name}</span>
                    </li>
                  ))}
                </ul>
              );
            }
            """,
            (6, 11),
            fixed="""
            export function ProductGrid({ products }) {
              return (
                <ul className="grid grid-cols-4 gap-4">
                  {products.map((product) => (
                    <li key={product.id}>
                      <img loading="lazy" decoding="async" src={product.imageUrl} alt={product.name} width={240} height={240} />
                      <span>{product.name}</span>
                    </li>
                  ))}
                </ul>
              );
            }
            """,
            shown=True,
        ),
        ok(
            """
            export function ProductGrid({ products }) {
              return (
                <ul className="grid grid-cols-4 gap-4">
                  {products.map((product, index) => (
                    <li key={product.id}>
                      <img src={product.imageUrl} alt={product.name} width={240} height={240}
                           loading={index < 4 ? "eager" : "lazy"} decoding="async" />
                    </li>
                  ))}
                </ul>
              );
            }
            """,
            why="loading set (the first row eager, the rest lazy)",
            shown=True,
        ),
        flag(
            """
            export function Gallery({ photos }) {
              return <div>{photos.map((p) => p.visible && <img key={p.id} src={p.url} decoding="async" />)}</div>;
            }
            """,
            (2, 47),
            fixed="""
            export function Gallery({ photos }) {
              return <div>{photos.map((p) => p.visible && <img loading="lazy" key={p.id} src={p.url} decoding="async" />)}</div>;
            }
            """,
            why="no width/height either (said in the message); decoding already set is kept",
        ),
        flag(
            """
            import hero from "./assets/hero.png";

            export function Landing() {
              return <img src={hero} alt="" width={1200} height={600} />;
            }
            """,
            (4, 10),
            path="src/Landing.tsx",
            files={"src/assets/hero.png": "x" * 150_000},
            why="an imported PNG over 100 KB: a note about WebP/AVIF, not about lazy loading",
        ),
        flag(
            """
            function ProductCard({ product }) {
              return (
                <article>
                  <img src={product.photoUrl} alt="" className="aspect-square w-full" />
                  <h3>{product.title}</h3>
                </article>
              );
            }

            export function Catalogue({ products }) {
              return <div>{products.map((p) => <ProductCard key={p.id} product={p} />)}</div>;
            }
            """,
            (4, 7),
            why="an item component of the same file, rendered only in the list",
        ),
        ok(
            """
            import placeholder from "./placeholder.png";
            const PARTNERS = ["/logos/acme.png", "/logos/globex.png", "/logos/initech.png"];

            export function Header({ user, members }) {
              return (
                <header>
                  <img src="/logo.svg" alt="Home" />
                  {PARTNERS.map((src) => <img key={src} src={src} alt="" />)}
                  {members.slice(0, 3).map((m) => <img key={m.id} src={m.avatar} alt={m.name} />)}
                  {members.map((m) => <img key={m.id} src={m.avatar} className="size-6 rounded-full" alt="" />)}
                  {user.files.map((f) => <img key={f.name} src={URL.createObjectURL(f)} alt="" />)}
                  {members.map((m) => m.avatar ? null : <img key={m.id} src={placeholder} alt="" />)}
                </header>
              );
            }
            """,
            why="one logo, a literal list of 3, the first 3 of a list, 24 px avatars, object URLs, one placeholder "
                "image for every item (fetched once)",
        ),
        ok(
            """
            import Image from "next/image";

            export function Team({ people, ...props }) {
              return people.map((p) => (
                <figure key={p.id}>
                  <Image src={p.photo} alt={p.name} width={200} height={200} />
                  <img src={p.badge} {...props} />
                </figure>
              ));
            }
            """,
            why="next/image is lazy by default; spread props may set loading",
        ),
    )

    def check(self, ctx):
        images = [element for element in ctx.facts.jsx_elements if element.tag == "img"]
        if not images:
            return
        reason = not_shipped_reason(ctx.index, ctx.source.rel_path)
        if reason and reason != "next-app":  # server components render images for the browser too
            return
        threshold_kb = image_note_threshold_kb(ctx.index)
        noted_assets = set()
        item_components = _item_components(ctx.facts)
        for element in images:
            attributes = {name: value for name, value in element.attributes}
            found = self._eager_in_list(ctx, element, attributes, item_components)
            if found is not None:
                # Its source varies per item, so it is no literal file of the project: no size note.
                self._report_list(ctx, element, attributes, *found)
                continue
            asset = _large_raster(ctx, attributes, threshold_kb) if threshold_kb else None
            if asset is None or asset[0] in noted_assets:  # one note per file and image
                continue
            noted_assets.add(asset[0])
            message = _asset_note(asset)
            if asset[3]:  # imported: one note per image, in the first file importing it
                importers = image_importers(ctx.index, asset[0])
                if importers and importers[0] != ctx.source.rel_path:
                    continue
                if len(importers) > 1:
                    message += f" ({len(importers)} files import it; noted here once.)"
            ctx.report(element.node, message, level="note", properties={"asset": asset[0], "bytes": asset[1]})

    def _eager_in_list(self, ctx, element, attributes, item_components):
        """(list call, item element or None) when `element` is rendered once per item of a list
        and loads eagerly worth lazy loading: in the list's callback, or in a component of this
        file that is only rendered in lists' callbacks (the item element is then its tag)."""
        if "loading" in attributes or "..." in attributes or _icon_sized(ctx.facts, attributes):
            return None
        facts = ctx.facts
        src = attributes.get("src")
        if src is None or _generated_source(facts, src):
            return None
        found = _list_call(facts, element.node)
        if found is not None:
            call, callback = found
            if _short_list(facts, call) or _virtualized(facts, call) or not _varies_per_item(facts, src, callback):
                return None
            return call, None
        owner = element.owner
        if owner is None or owner.is_hook or owner.name not in item_components:
            return None
        if facts.enclosing_function(owner.node) is not None:
            return None  # a component defined in a function: only module-level item components
        if not _varies_per_item(facts, src, owner.node):
            return None  # the same URL for every item: fetched once
        return item_components[owner.name]

    def _report_list(self, ctx, element, attributes, call, item=None):
        facts = ctx.facts
        callee = call.child_by_field_name("function")
        receiver = callee.child_by_field_name("object") if callee is not None and callee.type == "member_expression" else None
        items = f"`{short_text(facts.text(receiver))}`" if receiver is not None else "the list"
        dimensions = ""
        if ("width" not in attributes or "height" not in attributes) and not _sized_by_css(facts, attributes):
            dimensions = (" It has no `width`/`height` either: give it both (or a CSS `aspect-ratio`) so the page "
                          "does not shift as each image arrives.")
        name = element.node.child_by_field_name("name")
        insert = ' loading="lazy"' + ("" if "decoding" in attributes else ' decoding="async"')
        span = ctx.source.span_of_points(name.end_point, name.end_point)
        fix = Fix(f"Add `{insert.strip()}`", (TextEdit(span, insert),))
        via = f" (through `<{element.owner.name}>`)" if item is not None else ""
        ctx.report(
            element.node,
            f"This `<img>` is rendered for every item of {items}{via} ([here](1)) and loads eagerly: the browser fetches "
            f"every item's image as soon as the list renders, offscreen ones too. Add `{insert.strip()}` (keep the first few "
            f"eager if the list starts above the fold).{dimensions}",
            related=(Related(ctx.source.span(item if item is not None else call), "rendered per item here"),),
            fix=fix,
        )


def _item_components(facts) -> dict:
    """{name: (list call, element)} of this file's components that are rendered only inside list
    callbacks (`items.map((item) => <ProductCard item={item} />)`), every time in a list that is
    not short by construction nor virtualized: each of their renders is one item."""
    local = {owner.name for owner in facts.components if owner.name != "default"}
    found: dict = {}
    excluded = set()
    for element in facts.jsx_elements:
        if element.is_dom or element.tag not in local or element.tag in excluded:
            continue
        listed = _list_call(facts, element.node)
        if listed is None or _short_list(facts, listed[0]) or _virtualized(facts, listed[0]):
            excluded.add(element.tag)
            found.pop(element.tag, None)
            continue
        found.setdefault(element.tag, (listed[0], element.node))
    return found


def _list_call(facts, node):
    """(call, callback) of the `.map(fn)` / `.flatMap(fn)` / `Array.from(xs, fn)` whose callback
    renders `node`, found up the functions that run at once (IIFEs, useMemo factories), up to the
    component."""
    function = facts.enclosing_function(node)
    while function is not None:
        call = facts._call_running_during(function)
        if call is None:
            return None
        name = facts._callee_name(call)
        if (name in LIST_METHODS and facts._is_member_call(call)) or name == "Array.from":
            return call, function
        function = facts.enclosing_function(call)
    return None


def _varies_per_item(facts, src, callback) -> bool:
    """Whether `src` may differ from item to item: it reads a name bound inside the list's
    callback (the item, a value computed from it), or one we cannot place. A literal, an import,
    a module constant or a prop is one URL for the whole list: fetched once, cached for the rest."""
    stack = [src]
    while stack:
        node = stack.pop()
        if node.type == "identifier":
            binding = facts.lookup(facts.text(node), node)
            if binding is None or binding.node is None:
                return True
            if callback.start_byte <= binding.node.start_byte < callback.end_byte:
                return True
            continue
        stack.extend(node.named_children)
    return False


def _short_list(facts, call) -> bool:
    """Whether the list is short by construction: a literal array of at most SHORT_LIST items
    (directly or through a const), `.slice(0, n)` with a small literal `n`."""
    callee = call.child_by_field_name("function")
    if facts._callee_name(call) == "Array.from":
        items = model.unwrap(facts._argument(call, 0))
    else:
        items = model.unwrap(callee.child_by_field_name("object")) if callee is not None else None
    bound = _bounded(facts, items, 0)
    return bound is not None and bound <= SHORT_LIST


def _virtualized(facts, call) -> bool:
    """`virtualizer.getVirtualItems().map(...)`, `virtualRows.map(...)`: a virtualized list renders
    only the rows in view, so there is nothing offscreen to defer."""
    callee = call.child_by_field_name("function")
    receiver = callee.child_by_field_name("object") if callee is not None and callee.type == "member_expression" else None
    return receiver is not None and _VIRTUAL.search(facts.text(receiver)) is not None


def _bounded(facts, node, depth):
    """At most how many items `node` holds, when its code says so (None: unknown)."""
    if node is None or depth > 4:
        return None
    node = model.unwrap(node)
    if node.type == "array":
        if any(child.type == "spread_element" for child in node.named_children):
            return None
        return sum(1 for child in node.named_children if child.type != "comment")
    if node.type == "identifier":
        binding = facts.lookup(facts.text(node), node)
        if binding is None or binding.reassigned or binding.value is None:
            return None
        return _bounded(facts, binding.value, depth + 1)
    if node.type == "call_expression" and facts._is_member_call(node) and facts._callee_name(node) == "slice":
        start, end = _number(facts, facts._argument(node, 0), depth), _number(facts, facts._argument(node, 1), depth)
        if start is not None and end is not None and start >= 0 and end >= start:
            return end - start
        return None
    return None


def _number(facts, node, depth):
    node = model.unwrap(node) if node is not None else None
    if node is None:
        return None
    if node.type == "number":
        try:
            return int(float(facts.text(node)))
        except ValueError:
            return None
    if node.type == "identifier" and depth < 4:
        binding = facts.lookup(facts.text(node), node)
        if binding is not None and not binding.reassigned and binding.value is not None:
            return _number(facts, binding.value, depth + 1)
    return None


def _icon_sized(facts, attributes) -> bool:
    """Drawn at ICON_PX or less on both sides: `width`/`height` literals, or Tailwind sizes."""
    width, height = _pixels(facts, attributes.get("width")), _pixels(facts, attributes.get("height"))
    if width is not None and height is not None:
        return width <= ICON_PX and height <= ICON_PX
    class_name = literal_string(facts, attributes.get("className") or attributes.get("class"))
    if not class_name:
        return False
    if _ICON_CLASS.search(class_name):  # `destination-icon`, `file-icon`: sized as an icon by the stylesheet
        return True
    sides = {}
    for side, amount in _TAILWIND_SIZE.findall(class_name):
        px = int(amount[1:-3]) if amount.startswith("[") else float(amount) * 4
        for key in (("w", "h") if side == "size" else (side,)):
            sides[key] = max(sides.get(key, 0), px)
    return set(sides) == {"w", "h"} and max(sides.values()) <= ICON_PX


def _sized_by_css(facts, attributes) -> bool:
    """Whether the class names or the inline style give the image its box (both sides, or an aspect
    ratio): `w-full h-full`, `size-10`, `aspect-video`, `style={{ width, height }}`. Class names are
    read from every string in the expression (`cn("h-full w-full", x && "y")`)."""
    classes = " ".join(_strings(facts, attributes.get("className") or attributes.get("class")))
    sides = {side for side in _CSS_SIDE.findall(classes)}
    if "size" in sides or "aspect" in sides or {"w", "h"} <= sides:
        return True
    style = model.unwrap(attributes.get("style")) if attributes.get("style") is not None else None
    if style is None or style.type != "object":
        return False
    keys = set()
    for pair in style.named_children:
        key = pair.child_by_field_name("key") if pair.type == "pair" else pair if pair.type == "shorthand_property_identifier" else None
        if key is not None:
            keys.add(facts.text(key).strip("'\""))
    return "aspectRatio" in keys or {"width", "height"} <= keys or {"inset"} <= keys


def _strings(facts, node, limit: int = 64):
    """The string literals in an expression (a className built with `cn(...)`/`clsx(...)`)."""
    node = model.unwrap(node) if node is not None else None
    stack, found = ([node] if node is not None else []), []
    while stack and len(found) < limit:
        current = stack.pop()
        if current.type in ("string", "template_string"):
            found.append(facts.text(current)[1:-1])
            continue
        stack.extend(current.named_children)
    return found


def _pixels(facts, value):
    text = literal_string(facts, value)
    if text is None and value is not None and value.type == "number":
        text = facts.text(value)
    try:
        return float(text.strip().removesuffix("px")) if text else None
    except ValueError:
        return None


def _generated_source(facts, src) -> bool:
    """`data:`/`blob:` URLs and `URL.createObjectURL(...)`: nothing to fetch over the network."""
    src = model.unwrap(src) if src is not None else None
    if src is None:
        return False
    if src.type == "call_expression":
        return facts._callee_name(src) == "createObjectURL"
    return bool(_GENERATED_URL.match(facts.text(src)))


def _large_raster(ctx, attributes, threshold_kb):
    """(project path, bytes) of a PNG/JPEG/GIF of the project the `src` names literally, when
    it is over the threshold."""
    facts = ctx.facts
    src = attributes.get("src")
    text = literal_string(facts, src)
    imported = False
    if text is None:
        src = model.unwrap(src) if src is not None else None
        if src is None or src.type != "identifier":
            return None
        binding = facts.lookup(facts.text(src), src)
        if binding is None:
            return None
        if binding.kind == model.IMPORT and binding.value_kind == "default":
            text, imported = binding.source, True
        elif binding.kind == model.MODULE and not binding.reassigned:
            text = literal_string(facts, binding.value)
    if not text or not text.split("?", 1)[0].lower().endswith(RASTER_EXTENSIONS):
        return None
    found = image_asset_size(ctx.index, ctx.source.rel_path, text, imported)
    if found is None or found[1] <= threshold_kb * 1024:
        return None
    return found[0], found[1], text, imported


def _asset_note(asset) -> str:
    path, size, src, _ = asset
    kind = EXTENSION_NAMES.get("." + path.rsplit(".", 1)[-1].lower(), "raster")
    return (f"`{src}` is a {size / 1024:,.0f} KB {kind} (`{path}`): as WebP or AVIF the same image is typically "
            f"25–50% smaller; convert it (`cwebp`, `avifenc`, `sharp`) or serve it through `<picture>`.")
