#!/usr/bin/env python3
"""heapprof report on crafted series whose growth is known: the profiles
taken in time order whatever the command line's order, the suspects ranked
and their numbers, age labels deciding what is old, top of the last profile
and of the growth as top and diff print them, one profile alone, names that
would break the page, and the page in headless Chromium (no console error,
the chart's lines, a flame graph per profile that zooms and searches).

    report_page.py HEAPPROF"""

import html
import html.parser
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, HERE)
from browser import Browser  # noqa: E402
from pprof_writer import Profile  # noqa: E402

MINUTE_NS = 60 * 10**9
START_NS = 1_790_000_000 * 10**9
KB = 1024


class Cells(html.parser.HTMLParser):
    """The text of each cell of the rows of one class, and of each <pre> by class."""

    def __init__(self, row_class):
        super().__init__()
        self.row_class, self.rows, self.pre = row_class, [], {}
        self.in_row = self.cell = self.pre_class = self.summary = None
        self.summaries = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "tr" and attrs.get("class") == self.row_class:
            self.in_row = []
            self.rows.append(self.in_row)
        elif tag == "td" and self.in_row is not None:
            self.cell = []
            self.in_row.append(self.cell)
        elif tag == "summary" and self.in_row is not None:
            self.summary = []
            self.summaries.append(self.summary)
        elif tag == "pre" and attrs.get("class"):
            self.pre_class = attrs["class"]
            self.pre[self.pre_class] = ""

    def handle_endtag(self, tag):
        if tag == "tr":
            self.in_row = None
        elif tag == "td":
            self.cell = None
        elif tag == "pre":
            self.pre_class = None
        elif tag == "summary":
            self.summary = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)
        if self.pre_class:
            self.pre[self.pre_class] += data
        if self.summary is not None:
            self.summary.append(data)


def read_page(path, row_class="suspect"):
    cells = Cells(row_class)
    with open(path, encoding="utf-8") as page:
        cells.feed(page.read())
    rows = [["".join(cell) for cell in row] for row in cells.rows]
    for row, summary in zip(rows, cells.summaries) if row_class == "suspect" else ():
        row[1] = "".join(summary)
    return rows, cells.pre


def write_series(tmp, name, sites, minutes=10, from_start=False):
    """One profile per step, `minutes` apart: sites maps a function name to
    its in-use bytes at each step, or to (bytes, [(share, age seconds)]).
    Names differ from system names, so pprof shows them as they are. Each
    profile's time is its own, as Go's, or from_start, libheapprof's: the
    process's start, with the time since as the duration."""
    steps = len(next(iter(sites.values())))
    paths = []
    for step in range(steps):
        p = Profile()
        p.sample_type("inuse_objects", "count")
        p.sample_type("inuse_space", "bytes")
        p.function(1, "main")
        p.location(1, 0, 0, [(1, 0)])
        for i, (function, values) in enumerate(sites.items(), 2):
            p.function(i, function, system_name=f"symbol{i}")
            p.location(i, 0, 0, [(i, 0)])
            value = values[step]
            if isinstance(value, tuple):
                for share, age in value[1]:
                    p.sample([i, 1], [1, int(value[0] * share)], labels=[("age", age, "seconds")])
            elif value:
                p.sample([i, 1], [1, value])
        since = step * minutes * MINUTE_NS
        p.header(time_nanos=START_NS, duration_nanos=since) if from_start else p.header(time_nanos=START_NS + since)
        path = os.path.join(tmp, f"{name}.{step}.pb.gz")
        p.write(path)
        paths.append(path)
    return paths


def report(heapprof, tmp, paths, name, flags=()):
    out = os.path.join(tmp, name + ".html")
    run = subprocess.run([heapprof, "report"] + list(flags) + paths + ["-o", out], capture_output=True, text=True)
    if run.returncode != 0:
        raise SystemExit(f"FAIL: report {name} exited {run.returncode}: {run.stderr}")
    return out


def expect(what, got, wanted):
    if got != wanted:
        raise SystemExit(f"FAIL: {what}: got {got!r}, wanted {wanted!r}")
    print(f"ok {what}")


def suspects(rows):
    """(site, in use, growth, steadiness, old) of each suspect row."""
    return [(row[1], row[2], row[3], row[4], row[5]) for row in rows]


def check_growth(heapprof, tmp):
    """leak grows 100kB every 10 minutes (600kB/h), slow_leak 10kB (60kB/h);
    noisy goes up and down as much, shrinking shrinks, steady stays."""
    k = KB
    paths = write_series(tmp, "growth", {
        "leak": [1000 * k + 100 * k * i for i in range(5)],
        "slow_leak": [300 * k + 10 * k * i for i in range(5)],
        "noisy": [500 * k, 700 * k, 500 * k, 700 * k, 600 * k],
        "shrinking": [900 * k - 100 * k * i for i in range(5)],
        "steady": [5000 * k] * 5,
    })
    shuffled = [paths[3], paths[0], paths[4], paths[2], paths[1]]
    page = report(heapprof, tmp, shuffled, "growth")
    rows, pre = read_page(page)
    expect("growth: suspects, numbers", suspects(rows), [
        ("leak \u2190 main", "1.37MB", "600kB/h", "100%", "\u2014"),
        ("slow_leak \u2190 main", "340kB", "60kB/h", "100%", "\u2014")])
    profiles, _ = read_page(page, None)
    order = [row[1] for row in profiles if len(row) == 4]
    expect("growth: profiles in time order", order, paths)
    top = subprocess.run([heapprof, "top", paths[-1]], capture_output=True, text=True, check=True).stdout
    diff = subprocess.run([heapprof, "diff", paths[0], paths[-1]], capture_output=True, text=True,
                          check=True).stdout
    expect("growth: top of the last profile is heapprof top's", pre.get("top-last"), top)
    expect("growth: top of the growth is heapprof diff first last", pre.get("top-growth"), diff)
    from_start = write_series(tmp, "from-start", {"leak": [100 * k * (i + 1) for i in range(4)]}, from_start=True)
    rows, _ = read_page(report(heapprof, tmp, from_start[::-1], "from-start"))
    expect("growth: profiles timed from the process's start", suspects(rows),
           [("leak \u2190 main", "400kB", "600kB/h", "100%", "\u2014")])
    return page, paths


def check_ages(heapprof, tmp):
    """Over 40 minutes, old is from 20 minutes (half the span). young grows
    fastest but is all a minute old; old_leak grows 50kB a step, 75% of it old;
    half_old grows 100kB a step, 25% old: old_leak, then half_old."""
    k = KB
    paths = write_series(tmp, "ages", {
        "young": [(200 * k * (i + 1), [(1.0, 60)]) for i in range(5)],
        "old_leak": [(400 * k + 50 * k * i, [(0.75, 2400), (0.25, 300)]) for i in range(5)],
        "half_old": [(400 * k + 100 * k * i, [(0.25, 1800), (0.75, 600)]) for i in range(5)],
    })
    rows, _ = read_page(report(heapprof, tmp, paths, "ages"))
    expect("ages: old memory ranks, young does not", suspects(rows), [
        ("old_leak \u2190 main", "600kB", "300kB/h", "100%", "75%"),
        ("half_old \u2190 main", "800kB", "600kB/h", "100%", "25%")])
    rows, _ = read_page(report(heapprof, tmp, paths, "ages-old-age", ["-old_age=400"]))
    expect("ages: -old_age=400 counts half_old's 600 s as old", [r[0] for r in suspects(rows)][:2],
           ["half_old \u2190 main", "old_leak \u2190 main"])


def check_one_profile(heapprof, tmp, paths):
    page = report(heapprof, tmp, paths[-1:], "one")
    rows, pre = read_page(page)
    text = open(page, encoding="utf-8").read()
    expect("one profile: sites ranked by in use", [r[0] for r in suspects(rows)],
           ["steady \u2190 main", "leak \u2190 main", "noisy \u2190 main", "shrinking \u2190 main",
            "slow_leak \u2190 main"])
    expect("one profile: no chart, no growth, a flame graph",
           ('class="chart"' in text, "top-growth" in pre, text.count('<svg class="flame"')), (False, False, 1))


HOSTILE = "</script><script>window.pwned=1</script>\"'&amp;<b>x"


def check_hostile_names(heapprof, tmp):
    paths = write_series(tmp, "hostile", {HOSTILE: [100 * KB * (i + 1) for i in range(3)]})
    page = report(heapprof, tmp, paths, "hostile")
    text = open(page, encoding="utf-8").read()
    rows, _ = read_page(page)
    expect("hostile: the name is shown as it is", suspects(rows)[0][0], HOSTILE + " \u2190 main")
    expect("hostile: only the page's two scripts", text.count("<script"), 2)
    return page


def check_in_browser(tmp, growth_page, hostile_page, profiles):
    with Browser(tmp) as browser:
        browser.open(growth_page)
        lines = browser.evaluate("Array.from(document.querySelectorAll('svg.chart polyline.series'))"
                                 ".map(p => [p.querySelector('title').textContent, p.points.length])")
        expect("browser: the chart's lines and points: the suspects, then the largest others", lines,
               [[name, profiles] for name in ["total", "leak \u2190 main", "slow_leak \u2190 main",
                                              "steady \u2190 main", "noisy \u2190 main", "shrinking \u2190 main"]])
        shown = "Array.from(document.querySelectorAll('.flame-of')).filter(d => !d.hidden).map(d => d.dataset.profile)"
        expect("browser: the last profile's flame graph shown", browser.evaluate(shown), [str(profiles - 1)])
        browser.evaluate("var c = document.getElementById('flame-profile'); c.value = '0';"
                         "c.dispatchEvent(new Event('change'))")
        expect("browser: the first profile's, when chosen", browser.evaluate(shown), ["0"])
        browser.evaluate("document.querySelectorAll('[data-clicked]').forEach(g => g.removeAttribute('data-clicked'));"
                         "Array.from(document.querySelectorAll('.flame-of:not([hidden]) g.frame')).find(g => "
                         "g.querySelector('title').textContent.startsWith('slow_leak (')).setAttribute('data-clicked', '')")
        browser.click("[data-clicked] rect")
        width = browser.evaluate("+document.querySelector('[data-clicked] rect').getAttribute('width')")
        expect("browser: a click zooms slow_leak to the graph's width", width, 1180)
        browser.type_into(".flame-of:not([hidden]) input.flame-search", "leak")
        matched = browser.evaluate("Array.from(document.querySelectorAll('.flame-of:not([hidden]) g.frame.match'))"
                                   ".map(g => g.querySelector('title').textContent.split(' (')[0]).sort()")
        expect("browser: search for leak highlights leak and slow_leak", matched, ["leak", "slow_leak"])
        expect("browser: no console errors", browser.errors, [])
        browser.open(hostile_page)
        expect("browser: hostile names run nothing", browser.evaluate("typeof window.pwned"), "undefined")
        expect("browser: hostile names shown as they are",
               browser.evaluate("document.querySelector('tr.suspect summary').textContent"), HOSTILE + " \u2190 main")
        expect("browser: no console errors with hostile names", browser.errors, [])


def main():
    heapprof = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory(prefix="heapprof-report-") as tmp:
        growth_page, paths = check_growth(heapprof, tmp)
        check_ages(heapprof, tmp)
        check_one_profile(heapprof, tmp, paths)
        hostile_page = check_hostile_names(heapprof, tmp)
        check_in_browser(tmp, growth_page, hostile_page, len(paths))
        missing_output = subprocess.run([heapprof, "report", paths[0]], capture_output=True)
        expect("report without -o is a usage error", missing_output.returncode, 2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
