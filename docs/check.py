"""Screenshot the built site with headless Chromium and check the pictures are not blank.

    python3 docs/check.py docs/_build/html OUTDIR

Pages: the home, one tutorial and one V&V page. A picture must exist, be a real PNG of the window
size and show content (more than a handful of distinct colours, and dark text on the page), so a
blank or error page fails. Exit 1 on failure, with one line per page.
"""

import pathlib
import shutil
import subprocess
import sys

PAGES = ("index.html", "tutorials/your-stack.html", "vv/heat-interface-space.html")
SIZE = (1280, 1000)


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return name
    sys.exit("docs-check: no chromium in the runtime (containers/packages.txt lists it)")


def shoot(html, png):
    png.parent.mkdir(parents=True, exist_ok=True)
    cmd = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
           "--hide-scrollbars", f"--window-size={SIZE[0]},{SIZE[1]}", f"--screenshot={png}", html.as_uri()]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    return r.returncode, r.stderr[-500:]


def content(png):
    """(width, height, distinct colours, share of dark pixels) of a PNG."""
    import matplotlib.image as mpimg
    import numpy as np

    img = mpimg.imread(png)[..., :3]
    flat = (img.reshape(-1, 3) * 255).astype(np.uint8)
    colours = len(np.unique(flat[:: max(1, len(flat) // 200000)], axis=0))
    dark = float((img.mean(axis=2) < 0.35).mean())
    return img.shape[1], img.shape[0], colours, dark


def main(site, outdir):
    site, outdir = pathlib.Path(site).resolve(), pathlib.Path(outdir)
    failed = False
    for page in PAGES:
        html = site / page
        png = outdir / (page.replace("/", "-").replace(".html", ".png"))
        if not html.exists():
            print(f"FAIL {page}: not built")
            failed = True
            continue
        rc, err = shoot(html, png)
        if rc != 0 or not png.exists():
            print(f"FAIL {page}: chromium exit {rc}: {err}")
            failed = True
            continue
        w, h, colours, dark = content(png)
        ok = (w, h) == SIZE and colours > 50 and 0.002 < dark < 0.6
        print(f"{'ok  ' if ok else 'FAIL'} {page}: {png} ({w}x{h}, {colours} colours, {100 * dark:.1f} % dark)")
        failed |= not ok
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
