"""The Quickstart's run and model in real Chromium, through the gateway, after signing in.

As a new user would: a key from ``hokusai keys create``; a run logged and a model
registered with the SDK, MLflow printing the run's link; that link opened in Chromium
(Debian's, driven by Playwright) gives the sign-in page; signing in shows the run and
the registered model; ``hokusai keys revoke`` in "another terminal"; the next
navigation asks for sign-in again.

The screenshots are saved to ``.ci-artifacts/browse/`` on every run. The Browse page
(``docs/browse.md``) shows the ones in ``docs/images/browse/``: this test writes them
there, with their SHA-256 in ``docs/images/browse/screenshots.json``, when
``HOKUSAI_UPDATE_GOLDENS=1`` (``nox -s update``); ``test_browse_page_shows_the_tests_screenshots``
fails when the page shows an image that is not one this test wrote.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest

from tests.support.browser import CHROMIUM, launch_chromium

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / ".ci-artifacts" / "browse"
IMAGES = ROOT / "docs" / "images" / "browse"
MANIFEST = IMAGES / "screenshots.json"
PAGE = ROOT / "docs" / "browse.md"
UPDATE = os.environ.get("HOKUSAI_UPDATE_GOLDENS") == "1"
# What the Browse page shows, in its order: file -> what the screenshot is of.
SHOTS = {
    "signin.png": "the sign-in page, opened from the run link MLflow printed",
    "run.png": "the run, after signing in",
    "model.png": "the registered model",
}
RUN_LINK = re.compile(r"View run \S+ at: (http://\S+/#/experiments/\d+/runs/[0-9a-f]+)")

QUICKSTART = textwrap.dedent(
    """
    import sys
    import mlflow
    from sklearn.linear_model import LogisticRegression
    from hokusai import ModelRegistry

    name = sys.argv[1]
    model = LogisticRegression().fit([[0.1], [0.4], [0.6], [0.9]], [0, 0, 1, 1])
    mlflow.set_experiment(name)
    with mlflow.start_run(run_name=name):
        mlflow.log_metric("accuracy", 0.91)
        info = mlflow.sklearn.log_model(model, name="model", pip_requirements=["scikit-learn"])
    result = ModelRegistry().register_tokenized_model(
        model_uri=info.model_uri, model_name=name, token_id="BROWSE",
        metric_name="accuracy", baseline_value=0.85,
    )
    print(f"Registered {result.name} version {result.version}")
    """
)


def _save(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name))


def _close_assistant(page) -> None:
    """MLflow opens its assistant's welcome panel on a first visit; the gateway does not
    serve the assistant, so close the panel (when it is there) for the screenshot."""
    close = page.locator("button[aria-label='Close']")
    if close.count():
        close.first.click()


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
def test_the_printed_run_link_signs_in_shows_the_run_and_model_and_revoking_signs_out(
    local_registry, tmp_path
):
    from playwright.sync_api import expect, sync_playwright

    key_id, secret = local_registry.create_key("read", "write", prefix="browse")
    name = f"browse-{uuid.uuid4().hex[:6]}"
    env = {
        **os.environ,
        "HOKUSAI_API_KEY": secret,
        "MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT": "false",  # MLflow prints the run's link
    }
    done = subprocess.run(
        [sys.executable, "-c", QUICKSTART, name],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300,
    )  # fmt: skip
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert f"Registered {name} version 1" in output
    link = RUN_LINK.search(output)
    assert link, output
    run_link = link.group(1)
    assert run_link.startswith(local_registry.tracking_uri + "/#/experiments/")

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(run_link)
        expect(page).to_have_title(re.compile("Sign in"))
        expect(page.get_by_label("API key")).to_be_visible()
        _save(page, "signin.png")

        page.get_by_label("API key").fill(secret)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(run_link)  # back at the link, fragment and all
        expect(page.get_by_text(name, exact=True).first).to_be_visible(timeout=60_000)
        expect(page.get_by_role("link", name=name).first).to_be_visible(timeout=30_000)
        _close_assistant(page)
        _save(page, "run.png")

        page.goto(f"{local_registry.tracking_uri}/#/models/{name}")
        expect(page.get_by_text("Version 1").first).to_be_visible(timeout=60_000)
        _save(page, "model.png")

        local_registry.hokusai("keys", "revoke", key_id)  # "in another terminal"
        page.goto(run_link)
        page.reload()
        expect(page).to_have_title(re.compile("Sign in"))
        expect(page.get_by_role("alert")).to_contain_text(f"API key {key_id} has been revoked")
        _save(page, "revoked.png")
        browser.close()

    if UPDATE:
        _publish()


def _publish() -> None:
    """Copy the screenshots the page shows into docs/ and record their digests."""
    IMAGES.mkdir(parents=True, exist_ok=True)
    record = {}
    for name, what in SHOTS.items():
        shutil.copyfile(ARTIFACTS / name, IMAGES / name)
        digest = hashlib.sha256((IMAGES / name).read_bytes()).hexdigest()
        record[name] = {"sha256": digest, "shows": what}
    MANIFEST.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")


def test_browse_page_shows_the_tests_screenshots():
    """Every image on the Browse page is one the browser test wrote, unchanged since."""
    record = json.loads(MANIFEST.read_text())
    assert sorted(record) == sorted(SHOTS), "run `nox -s update` to record the screenshots"
    shown = re.findall(r"!\[[^\]]*\]\(images/browse/([^)]+)\)", PAGE.read_text())
    assert shown == list(SHOTS), f"{PAGE.name} shows {shown}, the test takes {list(SHOTS)}"
    for name in shown:
        digest = hashlib.sha256((IMAGES / name).read_bytes()).hexdigest()
        assert digest == record[name]["sha256"], f"{name} is not the browser test's screenshot"
