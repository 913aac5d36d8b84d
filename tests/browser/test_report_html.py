#!/usr/bin/env python3
"""test_report_html.py — report.html as headless Chromium renders it.

Usage: test_report_html.py EMBTRAIN_BINARY SOURCE_DIR

Trains configs/seed.json and a run the size of the spam benchmark's (a generated corpus of
4000 sentences over 6000 words, so report.json is bounded) into a temporary folder, then loads
each report.html in headless Chromium twice: --dump-dom (the SVG element counts in the parsed DOM
match report.json and metrics.jsonl; tokens come back as text, so escaping held)
and --screenshot (the PNG, decoded here with zlib, is not blank). Python
standard library only. Set EMBTRAIN_KEEP=DIR to keep the page, DOM and PNG.
Prints "N passed, N failed"; exits non-zero on any failure.
"""
import html.parser
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
WINDOW = (1200, 2400)

passed = 0
failed = 0


def check(condition, what):
    global passed, failed
    if condition:
        passed += 1
        print(f"ok: {what}")
    else:
        failed += 1
        print(f"FAIL: {what}")
    return condition


class SvgCounter(html.parser.HTMLParser):
    """Counts elements by (enclosing svg id, tag, first class) and collects label texts."""

    def __init__(self):
        super().__init__()
        self.svg = None
        self.counts = {}
        self.labels = []
        self.in_label = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "svg":
            self.svg = attrs.get("id")
        classes = (attrs.get("class") or "").split()
        key = (self.svg, tag, classes[0] if classes else "")
        self.counts[key] = self.counts.get(key, 0) + 1
        self.in_label = self.svg == "pca" and tag == "text" and "label" in classes
        if self.in_label:
            self.labels.append("")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        self.in_label = False

    def handle_endtag(self, tag):
        if tag == "svg":
            self.svg = None
        self.in_label = False

    def handle_data(self, data):
        if self.in_label:
            self.labels[-1] += data

    def count(self, svg, tag, cls):
        return self.counts.get((svg, tag, cls), 0)


def png_pixels(path):
    """(width, height, channels, rows of bytes) of an 8-bit RGB/RGBA PNG."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    at, idat, header = 8, b"", None
    while at < len(data):
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        body = data[at + 8:at + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        at += 12 + length
    width, height, depth, color, _, _, interlace = header
    if depth != 8 or color not in (2, 6) or interlace:
        raise ValueError(f"unsupported PNG (depth {depth}, colour type {color}, interlace {interlace})")
    channels = 3 if color == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, previous, at = [], bytearray(stride), 0
    for _ in range(height):
        kind, line = raw[at], bytearray(raw[at + 1:at + 1 + stride])
        at += 1 + stride
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                predictor = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[i] = (line[i] + predictor) & 0xFF
        rows.append(bytes(line))
        previous = line
    return width, height, channels, rows


def chromium(args, profile, timeout=120):
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if not binary:
        raise FileNotFoundError("chromium is not installed (apt-get install chromium)")
    return subprocess.run([binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
                          capture_output=True, text=True, timeout=timeout)


def write_large_corpus(path):
    """A spam-sized run's shape without a corpus: 4000 sentences over a 6000-word vocabulary
    (Zipf-like, seeded), labelled by which half of the vocabulary most of their words are from."""
    import random
    rng = random.Random(20261129)
    words = [f"w{i}" for i in range(6000)]
    weights = [1.0 / (i + 1) for i in range(len(words))]
    with open(path, "w", encoding="utf-8") as f:
        for _ in range(4000):
            sentence = rng.choices(words, weights, k=rng.randint(8, 30))
            label = int(sum(int(w[1:]) % 2 for w in sentence) * 2 > len(sentence))
            f.write(f"{label}\t{' '.join(sentence)}\n")


def check_page(name, embtrain, run, work):
    """The DOM's SVG counts against report.json and metrics.jsonl, labels that do not overlap,
    and a screenshot with ink."""
    page = os.path.join(run, "report.html")
    if not check(os.path.exists(page), f"{name}: report.html exists"):
        return
    with open(os.path.join(run, "report.json")) as f:
        report = json.load(f)
    with open(os.path.join(run, "metrics.jsonl")) as f:
        epochs = [json.loads(line) for line in f if line.strip()]
    rows, dim = len(report["vocab"]), len(report["before"][0])
    series = sum(any(s in e for e in epochs) for s in ("train", "valid", "test"))

    dom = chromium(["--dump-dom", "file://" + page], os.path.join(work, name + "-profile-dom"))
    check(dom.returncode == 0 and "<svg" in dom.stdout, f"{name}: chromium --dump-dom renders the page")
    counter = SvgCounter()
    counter.feed(dom.stdout)
    arrows = counter.count("pca", "line", "move")
    check(arrows == min(rows, 2000), f"{name}: one arrow per kept row in svg#pca: {arrows} == {min(rows, 2000)}")
    check(0 < len(counter.labels) <= min(rows, 80), f"{name}: {len(counter.labels)} token labels (at most 80)")
    check(set(counter.labels) <= set(report["vocab"]),
          f"{name}: labels read back as the vocabulary's tokens (escaping round-trips)")
    curves = counter.count("curves", "polyline", "curve")
    check(curves == 2 * series, f"{name}: {curves} curves == 2 panels x {series} series")
    cells = counter.count("heatmap", "rect", "cell")
    check(cells == min(rows, 40) * dim, f"{name}: {cells} heatmap cells == {min(rows, 40)} x {dim}")
    check("What moved, and why" in dom.stdout, f"{name}: the tables section is there")

    png = os.path.join(work, name + ".png")
    shot = chromium([f"--screenshot={png}", f"--window-size={WINDOW[0]},{WINDOW[1]}",
                     "--hide-scrollbars", "file://" + page], os.path.join(work, name + "-profile-shot"))
    if check(shot.returncode == 0 and os.path.exists(png), f"{name}: chromium --screenshot writes a PNG"):
        width, height, channels, pixels = png_pixels(png)
        check((width, height) == WINDOW, f"{name}: screenshot is {width}x{height}")
        colours, inked, total = set(), 0, 0
        for y in range(0, height, 4):
            line = pixels[y]
            for x in range(0, width * channels, channels * 4):
                rgb = line[x:x + 3]
                colours.add(rgb)
                inked += min(rgb) < 200
                total += 1
        check(len(colours) > 20, f"{name}: pixel values vary: {len(colours)} distinct colours")
        check(0.01 < inked / total < 0.6, f"{name}: {100 * inked / total:.1f}% of sampled pixels have ink")
    keep = os.environ.get("EMBTRAIN_KEEP")
    if keep:
        os.makedirs(keep, exist_ok=True)
        shutil.copy(page, os.path.join(keep, name + ".html"))
        if os.path.exists(png):
            shutil.copy(png, keep)
        with open(os.path.join(keep, name + "-dom.html"), "w") as f:
            f.write(dom.stdout)


MEASURE = """<script>
// Layout as Chromium computed it, written into the DOM for --dump-dom: the legend's box and each
// legend text (legend coordinates), the legend's left edge and every arrow (plot coordinates),
// the start dots, and the axis titles.
window.addEventListener('load', () => {
  const legend = document.querySelector('#pca .legend');
  const box = legend.querySelector('.legend-box').getBBox();
  const texts = [...legend.querySelectorAll('text')].map(t => {
    const b = t.getBBox();
    return {text: t.textContent, left: b.x, right: b.x + b.width};
  });
  const at = legend.transform.baseVal.consolidate().matrix.e;
  const lines = [...document.querySelectorAll('#pca line.move')].map(
    l => ['x1', 'y1', 'x2', 'y2'].map(k => +l.getAttribute(k)));
  const starts = [...document.querySelectorAll('#pca circle.start')].map(
    c => [+c.getAttribute('cx'), +c.getAttribute('cy')]);
  const axes = [...document.querySelectorAll('#pca text.axis')].map(t => t.textContent);
  const out = {box: {left: box.x, right: box.x + box.width}, texts, legend_x: at, lines, starts, axes};
  const pre = document.createElement('pre');
  pre.id = 'measured';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>"""


def check_layout(name, page, work, labels):
    """The legend's text as the run names its labels, inside its box; no arrow under the legend;
    the plot's spread along y over x as PC2's share of the variance over PC1's allows."""
    measured_page = os.path.join(work, name + "-measure.html")
    with open(page, encoding="utf-8") as f:
        text = f.read()
    with open(measured_page, "w", encoding="utf-8") as f:
        f.write(text.replace("</body>", MEASURE + "</body>"))
    dom = chromium(["--dump-dom", "file://" + measured_page], os.path.join(work, name + "-profile-measure"))
    start = dom.stdout.find('<pre id="measured">')
    if not check(start >= 0, f"{name}: the page was measured in Chromium"):
        return
    import html as html_module
    raw = dom.stdout[start + len('<pre id="measured">'):dom.stdout.find("</pre>", start)]
    m = json.loads(html_module.unescape(raw))
    shown = [t["text"] for t in m["texts"]]
    for label in labels:
        check(any(t == "mostly " + label or (t.startswith("mostly ") and t.endswith("\u2026")
                                            and label.startswith(t[7:-1])) for t in shown),
              f"{name}: the legend names '{label}' as it is (no quotes): {shown}")
    check(not any('"' in t for t in shown), f"{name}: no legend text carries quotes")
    outside = [t for t in m["texts"] if t["left"] < m["box"]["left"] or t["right"] > m["box"]["right"]]
    check(not outside, f"{name}: every legend text lies inside its box {m['box']}: {outside}")
    under = [l for l in m["lines"] if max(l[0], l[2]) > m["legend_x"] - 10]
    check(not under, f"{name}: no arrow reaches the legend's column (x >= {m['legend_x'] - 10}): {under[:3]}")
    # One pixel scale on both axes, so that the plot's shape follows the variance shares: the
    # start dots' pixel coordinates over the rows' projections onto PC1 and PC2 (numpy's PCA of
    # the plotted before and after rows, as the page fits it) give the same pixels per unit.
    import numpy
    with open(os.path.join(os.path.dirname(page), "report.json")) as f:
        report = json.load(f)
    before, after = numpy.array(report["before"], dtype=float), numpy.array(report["after"], dtype=float)
    change = numpy.linalg.norm(numpy.array(report["diff"], dtype=float), axis=1)
    plotted = sorted(range(len(change)), key=lambda i: -change[i])[:2000]
    points = numpy.concatenate([before[plotted], after[plotted]])
    centred = points - points.mean(axis=0)
    values, vectors = numpy.linalg.eigh(centred.T @ centred / len(points))
    axes = vectors[:, ::-1][:, :2]
    projected = (before[plotted] - points.mean(axis=0)) @ axes
    px = numpy.array([p[0] for p in m["starts"]])
    py = numpy.array([p[1] for p in m["starts"]])
    per_unit_x = px.std() / projected[:, 0].std() if projected[:, 0].std() > 0 else 0
    per_unit_y = py.std() / projected[:, 1].std() if projected[:, 1].std() > 1e-12 else per_unit_x
    shares = [float(a.split("(")[1].split("%")[0]) for a in m["axes"]]
    check(per_unit_x > 0 and abs(per_unit_y - per_unit_x) <= 0.01 * per_unit_x,
          f"{name}: one scale on both axes (the shape follows the variance shares {shares}): "
          f"{per_unit_x:.2f} and {per_unit_y:.2f} px per unit")


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    embtrain, source = os.path.abspath(sys.argv[1]), sys.argv[2]
    work = tempfile.mkdtemp(prefix="embtrain-browser-")
    try:
        # The article run, and a run the size of the spam benchmark's (a bounded report.json).
        large = os.path.join(work, "large.tsv")
        write_large_corpus(large)
        # And a multi-label run whose label names are long (the legend shortens the longest).
        labelled = os.path.join(work, "labelled.txt")
        long_label = "a_label_name_too_long_for_the_legend_column"
        with open(os.path.join(source, "data", "topics", "train.txt"), encoding="utf-8") as f:
            topics = f.read()
        with open(labelled, "w", encoding="utf-8") as f:
            f.write(topics.replace("__label__tech", "__label__" + long_label))
        runs = [("article", ["--config", "configs/seed.json"], ["positive examples", "negative examples"]),
                ("large", ["--config", "configs/mean.json", "--set", f"data.train={large}",
                           "--set", "data.valid=", "--set", "data.test=", "--set", "train.epochs=3"],
                 ["positive examples", "negative examples"]),
                ("multi-label", ["--config", "configs/topics.json", "--set", f"data.train={labelled}",
                                 "--set", "data.test="], None)]
        for name, args, legend in runs:
            run = os.path.join(work, name)
            trained = subprocess.run([embtrain, "train", *args, "--output-dir", run, "--quiet"], cwd=source,
                                     capture_output=True, text=True, timeout=300)
            if check(trained.returncode == 0, f"{name}: embtrain train exits 0 ({trained.stderr.strip()})"):
                check_page(name, embtrain, run, work)
                if legend is None:
                    with open(os.path.join(run, "report.json")) as f:
                        legend = json.load(f)["labels"]
                check_layout(name, os.path.join(run, "report.html"), work, legend)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    try:
        main()
    except Exception as error:  # a crash is a failure, reported like one
        check(False, f"{type(error).__name__}: {error}")
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed or not passed else 0)
