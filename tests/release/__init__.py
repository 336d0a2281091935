"""Release tooling and its tests: ``nox -s build`` and ``nox -s publish-docs``.

* :mod:`tests.release.project` - facts about the checkout (pyproject, git, uv).
* :mod:`tests.release.changelog` - the Keep a Changelog check.
* :mod:`tests.release.artifacts` - what the sdist and the wheel must and must not hold.
* :mod:`tests.release.smoke` - install an artifact into a fresh venv and use it.
* :mod:`tests.release.build` - ``nox -s build``: all of the above, in order.
* :mod:`tests.release.record` - the verified-run record that publishing requires.
* :mod:`tests.release.publish_docs` - ``nox -s publish-docs``: mike onto ``gh-pages``.
* :mod:`tests.release.scratch` - scratch repositories the tests tag and release in.

Each runs as ``python -m tests.release.<name>`` from the root of a checkout (the nox
sessions do that), and acts on that checkout.
"""
