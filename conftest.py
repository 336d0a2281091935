"""Root conftest: wires the test plugins so they also see ``docs/*.md``.

pytest applies a conftest's ``pytest_collect_file`` only below its own folder, so the
docs harness (code in ``tests/docs/``) is registered here, at the root.
"""

pytest_plugins = ["tests.support.stack", "tests.support.fake_stack", "tests.docs.plugin"]
