#!/usr/bin/env python3
"""heapprof flame, checked in a real browser: the SVGs it writes are rendered
by headless Chromium, which must produce a screenshot with the frames'
colours in it, and whose DOM must hold every frame with its name and value.
No Chromium means failure, not a skip: the test exists to open the file.

    flame_in_browser.py HEAPPROF"""

import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ElementTree
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, HERE)
import make_profiles  # noqa: E402
from browser import Browser  # noqa: E402
from pprof_writer import Profile  # noqa: E402

SVG = "{http://www.w3.org/2000/svg}"


def chromium(args, tmp):
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if not browser:
        raise SystemExit("FAIL: chromium is not installed (Debian package chromium)")
    profile_dir = tempfile.mkdtemp(dir=tmp)
    result = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                             "--disable-background-networking", "--disable-component-update", "--disable-sync",
                             "--user-data-dir=" + profile_dir] + args, capture_output=True, timeout=120)
    if result.returncode != 0:
        raise SystemExit(f"FAIL: chromium exited {result.returncode}: {result.stderr.decode(errors='replace')[-2000:]}")
    return result.stdout.decode()


def png_colors(path):
    """The distinct pixel colours of an 8-bit, non-interlaced RGB(A) PNG."""
    with open(path, "rb") as png:
        data = png.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise SystemExit(f"FAIL: {path} is not a PNG")
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, color_type, _, _, interlace = header
    if depth != 8 or color_type not in (2, 6) or interlace:
        raise SystemExit(f"FAIL: unexpected PNG format {header}")
    channels = 3 if color_type == 2 else 4
    raw, stride = zlib.decompress(idat), width * channels
    previous, colors = bytearray(stride), set()
    for row in range(height):
        kind = raw[row * (stride + 1)]
        line = bytearray(raw[row * (stride + 1) + 1:(row + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up, up_left = previous[i], previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - up_left
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - up_left)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else up_left)) & 255
        colors.update(bytes(line[i:i + 3]) for i in range(0, stride, channels))
        previous = line
    return (width, height), colors


def check_flame(heapprof, tmp, profile, flags, expected_names, title, absent_names=()):
    svg = os.path.join(tmp, os.path.basename(profile) + "".join(flags).replace("=", "_") + ".svg")
    subprocess.run([heapprof, "flame"] + flags + [profile, "-o", svg], check=True)
    frames = ElementTree.parse(svg).getroot().findall(SVG + "g")
    png = svg + ".png"
    chromium(["--screenshot=" + png, "--window-size=1200,800", "file://" + svg], tmp)
    size, colors = png_colors(png)
    if size != (1200, 800) or len(colors) < 8:
        raise SystemExit(f"FAIL: {png}: {size}, only {len(colors)} colours: the frames were not drawn")
    dom = chromium(["--dump-dom", "file://" + svg], tmp)
    titles = re.findall(r"<title>(.*?)</title>", dom)
    texts = re.findall(r"<text [^>]*>(.*?)</text>", dom)
    if len(titles) != len(frames) or not frames:
        raise SystemExit(f"FAIL: {svg}: the browser shows {len(titles)} of {len(frames)} frames")
    if not texts or title not in texts[0]:
        raise SystemExit(f"FAIL: {svg}: heading {texts[:1]}, expected {title!r}")
    for name in expected_names:
        if not any(t.startswith(name + " (") for t in titles):
            raise SystemExit(f"FAIL: {svg}: no frame titled {name!r} in {titles}")
    for name in absent_names:
        if any(t.startswith(name + " (") for t in titles):
            raise SystemExit(f"FAIL: {svg}: frame {name!r} should have been dropped")
    root = ElementTree.parse(svg).getroot().find(SVG + "g")
    if not root.find(SVG + "title").text.startswith("all (") or float(root.find(SVG + "rect").get("width")) != 1180:
        raise SystemExit(f"FAIL: {svg}: the root frame does not span the graph")
    print(f"ok {os.path.basename(svg)}: {len(frames)} frames, {len(colors)} colours")


FRAME_WIDTHS = ("Object.fromEntries(Array.from(document.querySelectorAll('svg.flame g.frame'))"
                ".filter(g => g.style.display !== 'none').map(g => [g.querySelector('title').textContent"
                ".replace(/ \\(.*/, '') + '@' + g.getAttribute('data-depth'), +g.querySelector('rect').getAttribute('width')]))")


def click_frame(browser, name):
    """Clicks the first frame of that name, as a user would, with the mouse."""
    browser.evaluate("document.querySelectorAll('[data-clicked]').forEach(g => g.removeAttribute('data-clicked'));"
                     "Array.from(document.querySelectorAll('svg.flame g.frame')).find(g => g.querySelector('title')"
                     f".textContent.startsWith({name!r} + ' (')).setAttribute('data-clicked', '')")
    browser.click("[data-clicked] rect")


def check_zoom_and_search(browser, path):
    """A click on make_table (11.99kB of 113.47kB) widens it to the graph's
    1180 pixels and its callee grow (7.02kB) in proportion, keeps its caller
    main as wide, and hides worker; a click on "all" undoes it. Typing
    "malloc" highlights the two malloc frames and says so."""
    browser.open(path)
    before = browser.evaluate(FRAME_WIDTHS)
    click_frame(browser, "make_table")
    zoomed = browser.evaluate(FRAME_WIDTHS)
    grow = before["grow@3"] / before["make_table@2"] * 1180
    if (zoomed.get("make_table@2") != 1180 or abs(zoomed.get("grow@3", 0) - grow) > 0.02
            or zoomed.get("main@1") != 1180 or "worker@2" in zoomed):
        raise SystemExit(f"FAIL: {path}: zoom to make_table shows {zoomed}")
    click_frame(browser, "all")
    if browser.evaluate(FRAME_WIDTHS) != before:
        raise SystemExit(f"FAIL: {path}: a click on all does not undo the zoom")
    browser.type_into("svg.flame input.flame-search", "malloc")
    matched = browser.evaluate("Array.from(document.querySelectorAll('g.frame.match'))"
                               ".map(g => g.querySelector('title').textContent)")
    fill = browser.evaluate("getComputedStyle(document.querySelector('g.frame.match rect')).fill")
    status = browser.evaluate("document.querySelector('.flame-matched').textContent")
    if sorted(matched) != ["malloc (2kB, 1.76%)", "malloc (5kB, 4.41%)"] or fill != "rgb(230, 0, 230)" \
            or status != "2 matching frames":
        raise SystemExit(f"FAIL: {path}: search for malloc highlights {matched} in {fill}, says {status!r}")
    if browser.errors:
        raise SystemExit(f"FAIL: {path}: console errors {browser.errors}")
    print(f"ok {os.path.basename(path)}: zoom to make_table, back to all, search for malloc")


def write_odd_names(path):
    """Names that are not plain XML text: markup characters, a control
    character (which XML forbids, shown as '?'), and non-ASCII UTF-8."""
    p = Profile()
    p.sample_type("inuse_space", "bytes")
    for i, name in enumerate(["a&b", "ctl\x01name", "caf\u00e9_\u00fcber"], 1):
        p.function(i, name)
        p.location(i, 0, 0, [(i, 0)])
        p.sample([i], [1000 * i])
    p.write(path)


def main():
    heapprof = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory(prefix="heapprof-flame-") as tmp:
        make_profiles.write_all(tmp)
        heap = os.path.join(tmp, "heap.pb.gz")
        names = ["main", "make_table", "grow", "worker", "[libfoo.so]", "&lt;unknown&gt;", "from_system_name"]
        check_flame(heapprof, tmp, heap, [], names + ["malloc"], "inuse_space (total 113.47kB)")
        check_flame(heapprof, tmp, heap, ["-sample_index=alloc_objects"], names, "alloc_objects (total 143)")
        check_flame(heapprof, tmp, os.path.join(tmp, "heap_drop.pb.gz"), [], names, "inuse_space",
                    absent_names=["malloc", "operator new"])
        check_flame(heapprof, tmp, os.path.join(tmp, "mangled.pb.gz"), [],
                    ["foo::bar", "std::vector::_M_realloc_insert", "std::map::operator[]",
                     "Foo::operator&lt;&lt;", "java.lang.Object.&lt;init&gt;"], "inuse_space")
        check_flame(heapprof, tmp, os.path.join(tmp, "many.pb.gz"), ["-sample_index=0"], ["g0005"], "alloc_space")
        odd = os.path.join(tmp, "odd_names.pb.gz")
        write_odd_names(odd)
        check_flame(heapprof, tmp, odd, [], ["a&amp;b", "ctl?name", "caf\u00e9_\u00fcber"], "inuse_space")
        with Browser(tmp) as browser:
            check_zoom_and_search(browser, os.path.join(tmp, "heap.pb.gz.svg"))
        missing_output = subprocess.run([heapprof, "flame", heap], capture_output=True)
        if missing_output.returncode != 2:
            raise SystemExit(f"FAIL: flame without -o exited {missing_output.returncode}, not 2")
    return 0


if __name__ == "__main__":
    sys.exit(main())
