"""What the tests share: the session's registry and the gateway test doubles.

- :mod:`tests.support.stack`: the pytest plugin that starts one ``hokusai local up``
  for the session (``local_registry``), and ``own_registry()`` for a test's own;
- :mod:`tests.support.servers`: an ASGI app under uvicorn in a thread, and the real
  gateway served that way (:class:`~tests.support.servers.ThreadedGateway`);
- :mod:`tests.support.fake_mlflow`: the one fake MLflow, recording what it receives;
- :mod:`tests.support.client`: a blocking HTTP client that sends exactly what it is
  given, and an ASGI call without a server;
- :mod:`tests.support.processes`: resident memory, sampled; the MLflow child of a registry;
- :mod:`tests.support.polling`: ``eventually``, waiting for another process by polling.
"""
