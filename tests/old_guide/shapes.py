"""Every SDK call shape of the old public guide, and what it does now.

The old guide is the user-facing Markdown of the hokusai-data-pipeline repository
(READMEs, ``docs/`` and ``documentation/`` guides). Each :class:`Shape` is one way that
guide used the SDK, written again in our own words as one line of code. ``result`` is
what that line does against this SDK: ``works`` (with the ``DeprecationWarning`` it
gives, if any) or the error it raises. ``tests/old_guide/test_shapes.py`` executes
every shape and asserts ``result``; the Migrating page renders this list as its table
(``docs/hooks/old_guide.py``), so the page shows what the tests verified.

This module is data only (standard library), so the mkdocs hook can load it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Shape:
    """One old call shape."""

    where: str
    """The old guide's topic where it appeared."""
    old: str
    """The old code, one line."""
    result: str
    """What it does now: ``works``, ``works; DeprecationWarning: …`` or ``<Error>: …``."""
    setup: str = ""
    """Code run first, not shown: the names the old line needs."""
    registry: bool = False
    """Needs the session's local registry (else a registry at a dead address is enough)."""


WORKS = "works"


SHAPES: tuple[Shape, ...] = (
    Shape(
        "DeltaOne detection",
        "from hokusai.evaluation.deltaone_evaluator import detect_delta_one",
        "works; DeprecationWarning: `from hokusai.evaluation.deltaone_evaluator import detect_delta_one` is deprecated: use PerformanceTracker().detect_delta_one(model_name) from hokusai.tracking.",
    ),
    Shape(
        "Installation",
        "from hokusai.evaluation import detect_delta_one",
        "works; DeprecationWarning: `from hokusai.evaluation import detect_delta_one` is deprecated: use PerformanceTracker().detect_delta_one(model_name) from hokusai.tracking.",
    ),
    Shape(
        "DeltaOne detection",
        "from hokusai.evaluation.deltaone_evaluator import detect_delta_one_detailed, DeltaOneResult",
        "works; DeprecationWarning: `from hokusai.evaluation.deltaone_evaluator import detect_delta_one_detailed` is deprecated: use PerformanceTracker().detect_delta_one(model_name) from hokusai.tracking.; DeprecationWarning: `from hokusai.evaluation.deltaone_evaluator import DeltaOneResult` is deprecated: use `from hokusai.tracking import DeltaOneResult`.",
    ),
    Shape(
        "Quickstart",
        "achieved = bool(detect_delta_one('old-guide-scorer'))",
        "works",
        setup="from hokusai.evaluation.deltaone_evaluator import detect_delta_one",
        registry=True,
    ),
    Shape(
        "DeltaOne detection",
        "result = detect_delta_one_detailed('old-guide-scorer'); print(result.achieved, result.baseline_version, result.new_version, result.delta_value)",
        "works; DeprecationWarning: DeltaOneResult.delta_value is deprecated: use .delta_pp (percentage points; the old delta_value was delta_pp / 100)",
        setup="from hokusai.evaluation.deltaone_evaluator import detect_delta_one_detailed",
        registry=True,
    ),
    Shape(
        "DeltaOne detection",
        "detect_delta_one(model_name='old-guide-scorer', webhook_url='https://example.com/hook')",
        "ValidationError: detect_delta_one() has no webhook_url= any more: the SDK sends no webhooks: post result.to_dict() to your URL yourself.",
        setup="from hokusai.evaluation.deltaone_evaluator import detect_delta_one",
    ),
    Shape(
        "DeltaOne detection",
        "detect_delta_one('old-guide-scorer', config=config)",
        "ValidationError: detect_delta_one() has no config= any more: pass threshold_pp= (percentage points, default 1.0) and lower_is_better=.",
        setup="from hokusai.evaluation.deltaone_evaluator import detect_delta_one; config = None",
    ),
    Shape(
        "DeltaOne detection",
        "from hokusai.evaluation import DeltaOneConfig",
        "UnsupportedImportError: hokusai.evaluation.DeltaOneConfig is not part of this SDK: DeltaOne detection is PerformanceTracker().detect_delta_one(model_name) (threshold_pp=, lower_is_better= instead of a config object; no webhooks: post result.to_dict() yourself), or hokusai.tracking.delta_one(metric, baseline, new).",
    ),
    Shape(
        "DeltaOne detection",
        "from hokusai.evaluation.deltaone_evaluator import WebhookConfig",
        "UnsupportedImportError: hokusai.evaluation.deltaone_evaluator.WebhookConfig is not part of this SDK: DeltaOne detection is PerformanceTracker().detect_delta_one(model_name) (threshold_pp=, lower_is_better= instead of a config object; no webhooks: post result.to_dict() yourself), or hokusai.tracking.delta_one(metric, baseline, new).",
    ),
    Shape(
        "DeltaOne detection",
        "from hokusai.evaluation.deltaone_evaluator import batch_detect_delta_one",
        "UnsupportedImportError: hokusai.evaluation.deltaone_evaluator.batch_detect_delta_one is not part of this SDK: DeltaOne detection is PerformanceTracker().detect_delta_one(model_name) (threshold_pp=, lower_is_better= instead of a config object; no webhooks: post result.to_dict() yourself), or hokusai.tracking.delta_one(metric, baseline, new).",
    ),
    Shape(
        "DeltaOne detection",
        "from hokusai.evaluation.deltaone_evaluator import get_deltaone_history",
        "UnsupportedImportError: hokusai.evaluation.deltaone_evaluator.get_deltaone_history is not part of this SDK: DeltaOne detection is PerformanceTracker().detect_delta_one(model_name) (threshold_pp=, lower_is_better= instead of a config object; no webhooks: post result.to_dict() yourself), or hokusai.tracking.delta_one(metric, baseline, new).",
    ),
    Shape(
        "DeltaOne detection",
        "from hokusai.evaluation.deltaone_evaluator import DeltaOneEvaluator",
        "UnsupportedImportError: hokusai.evaluation.deltaone_evaluator.DeltaOneEvaluator is not part of this SDK: DeltaOne detection is PerformanceTracker().detect_delta_one(model_name) (threshold_pp=, lower_is_better= instead of a config object; no webhooks: post result.to_dict() yourself), or hokusai.tracking.delta_one(metric, baseline, new).",
    ),
    Shape(
        "DeltaOne detection",
        "from hokusai.evaluation.deltaone_evaluator import get_webhook_logs",
        "UnsupportedImportError: hokusai.evaluation.deltaone_evaluator.get_webhook_logs is not part of this SDK: DeltaOne detection is PerformanceTracker().detect_delta_one(model_name) (threshold_pp=, lower_is_better= instead of a config object; no webhooks: post result.to_dict() yourself), or hokusai.tracking.delta_one(metric, baseline, new).",
    ),
    Shape(
        "API migration",
        "from hokusai import setup",
        "UnsupportedImportError: hokusai.setup is not part of this SDK: the SDK needs no setup call: it reads HOKUSAI_API_KEY and MLFLOW_TRACKING_URI (or the file written by `hokusai login --api-key <key>`); to configure in code, pass them explicitly: ModelRegistry(tracking_uri=..., api_key=...).",
    ),
    Shape(
        "Troubleshooting",
        "from hokusai import configure",
        "UnsupportedImportError: hokusai.configure is not part of this SDK: the SDK needs no setup call: it reads HOKUSAI_API_KEY and MLFLOW_TRACKING_URI (or the file written by `hokusai login --api-key <key>`); to configure in code, pass them explicitly: ModelRegistry(tracking_uri=..., api_key=...).",
    ),
    Shape(
        "MLflow authentication",
        "from hokusai import setup_mlflow_auth, ModelRegistry",
        "UnsupportedImportError: hokusai.setup_mlflow_auth is not part of this SDK: the SDK needs no setup call: it reads HOKUSAI_API_KEY and MLFLOW_TRACKING_URI (or the file written by `hokusai login --api-key <key>`); to configure in code, pass them explicitly: ModelRegistry(tracking_uri=..., api_key=...).",
    ),
    Shape(
        "Authentication",
        "from hokusai import init",
        "UnsupportedImportError: hokusai.init is not part of this SDK: the SDK needs no setup call: it reads HOKUSAI_API_KEY and MLFLOW_TRACKING_URI (or the file written by `hokusai login --api-key <key>`); to configure in code, pass them explicitly: ModelRegistry(tracking_uri=..., api_key=...).",
    ),
    Shape(
        "Authentication",
        "hokusai.init(api_key='hk_live_your_api_key_here')",
        "UnsupportedCallError: hokusai.init is not part of this SDK: the SDK needs no setup call: it reads HOKUSAI_API_KEY and MLFLOW_TRACKING_URI (or the file written by `hokusai login --api-key <key>`); to configure in code, pass them explicitly: ModelRegistry(tracking_uri=..., api_key=...).",
    ),
    Shape(
        "MLflow authentication",
        "from hokusai.config import get_mlflow_auth_status",
        "UnsupportedImportError: hokusai.config.get_mlflow_auth_status is not part of this SDK: `hokusai doctor` shows the tracking URI, where the key came from and whether the registry answers (in Python: hokusai.diagnostics.run_checks()).",
    ),
    Shape(
        "MLflow authentication",
        "from hokusai.config import setup_mlflow_auth",
        "UnsupportedImportError: hokusai.config.setup_mlflow_auth is not part of this SDK: the SDK needs no setup call: it reads HOKUSAI_API_KEY and MLFLOW_TRACKING_URI (or the file written by `hokusai login --api-key <key>`); to configure in code, pass them explicitly: ModelRegistry(tracking_uri=..., api_key=...).",
    ),
    Shape(
        "Authentication",
        "from hokusai.auth import HokusaiAuth",
        "UnsupportedImportError: hokusai.auth.HokusaiAuth is not part of this SDK: the SDK needs no setup call: it reads HOKUSAI_API_KEY and MLFLOW_TRACKING_URI (or the file written by `hokusai login --api-key <key>`); to configure in code, pass them explicitly: ModelRegistry(tracking_uri=..., api_key=...).",
    ),
    Shape(
        "Quickstart",
        "from hokusai.utils.mlflow_config import MLFlowConfig",
        "UnsupportedModuleError: hokusai.utils.mlflow_config is not part of this SDK: the SDK needs no setup call: it reads HOKUSAI_API_KEY and MLFLOW_TRACKING_URI (or the file written by `hokusai login --api-key <key>`); to configure in code, pass them explicitly: ModelRegistry(tracking_uri=..., api_key=...).",
    ),
    Shape("Quickstart", "registry = ModelRegistry('https://registry.hokus.ai/mlflow')", "works"),
    Shape(
        "API migration",
        "registry = hokusai.ModelRegistry(tracking_uri='https://registry.hokus.ai/mlflow')",
        "works",
    ),
    Shape(
        "Authentication", "registry = ModelRegistry(api_key='hk_live_your_api_key_here')", "works"
    ),
    Shape(
        "MLflow authentication",
        "os.environ['HOKUSAI_OPTIONAL_MLFLOW'] = 'true'; registry = ModelRegistry()",
        "works; DeprecationWarning: HOKUSAI_OPTIONAL_MLFLOW is set, but this SDK has no mock or offline mode: it talks to https://registry.hokus.ai/api/mlflow and raises a HokusaiError saying why when that fails. Unset HOKUSAI_OPTIONAL_MLFLOW.",
    ),
    Shape(
        "Troubleshooting",
        "from hokusai import MLflowConnectionError, MLflowAuthenticationError",
        "works; DeprecationWarning: `from hokusai import MLflowConnectionError` is deprecated: use `from hokusai.errors import RegistryUnavailableError`.; DeprecationWarning: `from hokusai import MLflowAuthenticationError` is deprecated: use `from hokusai.errors import AuthenticationError`.",
    ),
    Shape(
        "Model registry",
        "registry.register_tokenized_model(model_uri=model_uri, model_name='old-guide-new-keywords', token_id='OLDGUIDE', metric_name='accuracy', baseline_value=0.83, additional_tags={'registration_flow': 'proposal_fulfillment'})",
        "works",
        registry=True,
    ),
    Shape(
        "DeltaOne detection",
        "registry.register_tokenized_model(model_uri=model_uri, name='old-guide-old-keywords', token_id='OLDGUIDE', benchmark_metric='f1_score', benchmark_value='0.85', tags={'accuracy': '0.87'})",
        "works; DeprecationWarning: register_tokenized_model(name=..., benchmark_metric=..., benchmark_value=..., tags=...) is deprecated: use model_name=..., metric_name=..., baseline_value=..., additional_tags=... instead.",
        registry=True,
    ),
    Shape(
        "Getting started",
        "with manager.start_experiment('old-guide-experiment'): info = registry.register_baseline(model=model, model_type='old-guide-classification', metadata={'accuracy': 0.89, 'dataset': 'my_dataset_v1'})",
        "works; DeprecationWarning: manager.start_experiment('old-guide-experiment') is deprecated: use ExperimentManager('old-guide-experiment').start_run().; DeprecationWarning: register_baseline(model=<object>, model_type=...) is deprecated: log the model with mlflow.sklearn.log_model(model, name='model'), then call registry.register_baseline(model_info.model_uri, 'old-guide-classification', 'accuracy', 0.89) (metric_name='accuracy' and its value come from metadata).",
        setup="manager = ExperimentManager('old-guide')",
        registry=True,
    ),
    Shape(
        "Getting started",
        "model_id = info['model_id']",
        "works; DeprecationWarning: TokenizedModel['model_id'] is deprecated: results are objects now, use .model_id",
        setup="info = registry.get_tokenized_model('old-guide-scorer', version=1)",
        registry=True,
    ),
    Shape(
        "Third-party integration",
        "registry.register_baseline(model=model, model_type='old-guide-churn', metadata={'dataset': 'customers_v1', 'metrics': {'accuracy': 0.9}})",
        "works; DeprecationWarning: register_baseline(model=<object>, model_type=...) is deprecated: log the model with mlflow.sklearn.log_model(model, name='model'), then call registry.register_baseline(model_info.model_uri, 'old-guide-churn', 'accuracy', 0.9) (metric_name='accuracy' and its value come from metadata).",
        registry=True,
    ),
    Shape(
        "README",
        "registry.register_baseline(model, 'classification')",
        "ValidationError: register_baseline() needs the benchmark the baseline is measured by: pass it, e.g. registry.register_baseline(model_uri, model_name, metric_name='accuracy', metric_value=0.85).",
    ),
    Shape(
        "README",
        "registry.register_baseline(model=model, model_type='classification', metadata={'dataset': 'customer_data_v2'})",
        "ValidationError: register_baseline() needs the benchmark the baseline is measured by: pass it, e.g. registry.register_baseline(model_uri, model_name, metric_name='accuracy', metric_value=0.85).",
    ),
    Shape(
        "Getting started",
        "registry.register_baseline(model=dspy_model, model_type='dspy_email_assistant', metadata={'version': '1.0'})",
        "ValidationError: register_baseline(model=...) logs scikit-learn models only; this is a __main__.EmailAssistant. Log it yourself, then register its URI: model_info = mlflow.pyfunc.log_model(model, name='model'), then registry.register_baseline(model_info.model_uri, 'dspy_email_assistant', metric_name, metric_value).",
        setup="class EmailAssistant: pass\ndspy_model = EmailAssistant()",
    ),
    Shape(
        "Model registry",
        "registry.validate_hokusai_tags({'hokusai_token_id': 'TEST-001', 'benchmark_metric': 'accuracy', 'benchmark_value': '0.95'})",
        "UnsupportedCallError: ModelRegistry has no method 'validate_hokusai_tags': register_tokenized_model checks token_id, metric_name and baseline_value itself and raises ValidationError before anything is sent.",
    ),
    Shape(
        "README",
        "registry.register_improved_model(model=improved_model, baseline_id='lead-scorer-v1', delta_metrics=delta, contributor='0xABC')",
        "UnsupportedCallError: ModelRegistry has no method 'register_improved_model': register the improved model with registry.register_tokenized_model(model_uri, model_name, token_id, metric_name, baseline_value) and record the contribution with PerformanceTracker().track_improvement(baseline_metrics, improved_metrics, data_contribution).",
    ),
    Shape(
        "Contributing data",
        "registry.get_model_info('sentiment-analyzer')",
        "UnsupportedCallError: ModelRegistry has no method 'get_model_info': use registry.get_tokenized_model(model_name) or registry.get_model_lineage(model_name); data requirements are not stored in the registry.",
    ),
    Shape(
        "Model registration CLI",
        "registry.register_model(token_id='XRAY', model_path='./model.pkl')",
        "UnsupportedCallError: ModelRegistry has no method 'register_model': use registry.register_tokenized_model(model_uri, model_name, token_id, metric_name, baseline_value).",
    ),
    Shape(
        "Model registry",
        "registry.promote_model('old-guide-scorer', 2)",
        "UnsupportedCallError: ModelRegistry has no method 'promote_model': use registry.promote(model_name, version, alias='production').",
    ),
    Shape(
        "Model registration guide",
        "model = registry.get_tokenized_model('old-guide-scorer'); print(model['version'], model['token_id'], model['baseline_value'])",
        "works; DeprecationWarning: TokenizedModel['version'] is deprecated: results are objects now, use .version; DeprecationWarning: TokenizedModel['token_id'] is deprecated: results are objects now, use .token_id; DeprecationWarning: TokenizedModel['baseline_value'] is deprecated: results are objects now, use .baseline_value",
        registry=True,
    ),
    Shape(
        "Model registry",
        "model = registry.get_tokenized_model('old-guide-scorer', version='2')",
        "works",
        registry=True,
    ),
    Shape(
        "Model registry",
        "for m in registry.list_models_by_token('OLDGUIDE'): print(m['model_name'], m['version'], m['tags'])",
        "works; DeprecationWarning: TokenizedModel['model_name'] is deprecated: results are objects now, use .name; DeprecationWarning: TokenizedModel['version'] is deprecated: results are objects now, use .version; DeprecationWarning: TokenizedModel['tags'] is deprecated: results are objects now, use .tags (your tags; the Hokusai ones are .token_id, .metric_name, .baseline_value)",
        registry=True,
    ),
    Shape(
        "Model registration guide",
        "for v in registry.get_model_lineage('old-guide-scorer'): print(v['version'], v['metrics']['accuracy'], v['created_at'], v.get('contributor', 'N/A'))",
        "works; DeprecationWarning: Iterating a ModelLineage is deprecated: iterate lineage.versions (oldest first).; DeprecationWarning: LineageEntry['version'] is deprecated: results are objects now, use .version; DeprecationWarning: LineageEntry['metrics'] is deprecated: results are objects now, use .metrics; DeprecationWarning: LineageEntry['created_at'] is deprecated: results are objects now, use .created_at; DeprecationWarning: LineageEntry.get('contributor') is deprecated: results are objects now, with the attributes version, run_id, created_at, role, token_id, metric_name, baseline_value, metrics, aliases.",
        registry=True,
    ),
    Shape(
        "Model registry",
        "for v in registry.get_model_lineage('old-guide-scorer'): print(v.version, v.tags['benchmark_value'], v.creation_timestamp)",
        "works; DeprecationWarning: Iterating a ModelLineage is deprecated: iterate lineage.versions (oldest first).; DeprecationWarning: LineageEntry.tags is deprecated: use .token_id, .metric_name, .baseline_value and .role; DeprecationWarning: LineageEntry.creation_timestamp is deprecated: use .created_at",
        registry=True,
    ),
    Shape(
        "Quickstart",
        "manager = ExperimentManager(registry)",
        "works; DeprecationWarning: ExperimentManager(registry) is deprecated: use ExperimentManager(experiment_name), which reads the same configuration (or pass tracking_uri=registry.tracking_uri).",
    ),
    Shape(
        "MLflow access",
        "manager = ExperimentManager(mlflow_tracking_uri='http://registry.hokus.ai/mlflow')",
        "works; DeprecationWarning: ExperimentManager(mlflow_tracking_uri=...) is deprecated: use tracking_uri=...",
    ),
    Shape("MLflow access", "manager = ExperimentManager()", "works"),
    Shape(
        "MLflow access",
        "with ExperimentManager().start_experiment('old-guide-v2'): mlflow.log_metrics({'accuracy': 0.95})",
        "works; DeprecationWarning: manager.start_experiment('old-guide-v2') is deprecated: use ExperimentManager('old-guide-v2').start_run().",
        registry=True,
    ),
    Shape("Troubleshooting", "tracker = PerformanceTracker()", "works"),
    Shape(
        "Getting started",
        "delta, attestation = tracker.track_improvement(baseline_metrics={'accuracy': 0.85}, improved_metrics={'accuracy': 0.92}, data_contribution={'contributor': 'your_address', 'data_size': 1000}); print(delta['accuracy']['absolute_delta'])",
        'works; DeprecationWarning: Unpacking the result of track_improvement as (delta, attestation) is deprecated: use result.deltas and result.attestation.; DeprecationWarning: delta[metric]["absolute_delta"] is deprecated: use result.deltas[metric]',
        registry=True,
    ),
    Shape(
        "Model registration guide",
        "delta, attestation = tracker.track_improvement(baseline_metrics={'accuracy': 0.92}, improved_metrics={'accuracy': 0.95}, data_contribution={'contributor': '0x742d', 'additional_samples': 5000}); achieved = delta['accuracy'] >= 0.01",
        "works; DeprecationWarning: Unpacking the result of track_improvement as (delta, attestation) is deprecated: use result.deltas and result.attestation.",
        registry=True,
    ),
    Shape(
        "Troubleshooting",
        "tracker.track_inference({'model_id': 'model-001', 'latency_ms': 45.2})",
        "UnsupportedCallError: PerformanceTracker has no method 'track_inference': inference monitoring is not part of this SDK: log serving metrics with mlflow.log_metrics(...) in your service's own run.",
    ),
    Shape(
        "Quickstart",
        "from hokusai.services.ab_testing import ModelTrafficRouter, ABTestConfig, RoutingStrategy",
        "UnsupportedModuleError: hokusai.services.ab_testing is not part of this SDK: A/B traffic routing belongs to your serving layer (this SDK registers models): point aliases at versions with registry.promote(name, version, alias='challenger') and load models:/<name>@<alias> in your service.",
    ),
    Shape(
        "README",
        "from hokusai.core.ab_testing import ModelTrafficRouter, ABTestConfig",
        "UnsupportedModuleError: hokusai.core.ab_testing is not part of this SDK: A/B traffic routing belongs to your serving layer (this SDK registers models): point aliases at versions with registry.promote(name, version, alias='challenger') and load models:/<name>@<alias> in your service.",
    ),
    Shape(
        "README",
        "from hokusai.core.inference import HokusaiInferencePipeline, InferenceRequest",
        "UnsupportedModuleError: hokusai.core.inference is not part of this SDK: serving predictions belongs to your own service: load a registered version with mlflow.pyfunc.load_model('models:/<name>@production') after registry.promote(...).",
    ),
    Shape(
        "README",
        "from hokusai.core import ModelRegistry, ModelVersionManager",
        "UnsupportedImportError: hokusai.core.ModelVersionManager is not part of this SDK: model versions are MLflow registry versions: registry.get_tokenized_model(name, version=None), registry.get_model_lineage(name), registry.promote(name, version), registry.rollback(name).",
    ),
    Shape(
        "README",
        "from hokusai.core.models import ModelFactory, ModelType",
        "UnsupportedModuleError: hokusai.core.models is not part of this SDK: there is no model wrapper: train with your framework, log with MLflow (e.g. mlflow.sklearn.log_model(model, name='model')) and register model_info.model_uri with registry.register_tokenized_model(...).",
    ),
    Shape(
        "Troubleshooting",
        "from hokusai import ModelVersionManager, HokusaiInferencePipeline, HokusaiModel",
        "UnsupportedImportError: hokusai.ModelVersionManager is not part of this SDK: model versions are MLflow registry versions: registry.get_tokenized_model(name, version=None), registry.get_model_lineage(name), registry.promote(name, version), registry.rollback(name).",
    ),
    Shape(
        "Quickstart",
        "from hokusai.services.dspy_pipeline_executor import DSPyPipelineExecutor",
        "UnsupportedModuleError: hokusai.services.dspy_pipeline_executor is not part of this SDK: running DSPy programs belongs to DSPy itself: log a program with mlflow.dspy.log_model(program, name='model') and register model_info.model_uri with registry.register_tokenized_model(...).",
    ),
    Shape(
        "DSPy integration",
        "from hokusai.dspy_signatures import BaseSignature, EmailDraft",
        "UnsupportedModuleError: hokusai.dspy_signatures is not part of this SDK: running DSPy programs belongs to DSPy itself: log a program with mlflow.dspy.log_model(program, name='model') and register model_info.model_uri with registry.register_tokenized_model(...).",
    ),
    Shape(
        "DSPy integration",
        "from hokusai.services.teleprompt_finetuner import TelepromptFineTuner",
        "UnsupportedModuleError: hokusai.services.teleprompt_finetuner is not part of this SDK: running DSPy programs belongs to DSPy itself: log a program with mlflow.dspy.log_model(program, name='model') and register model_info.model_uri with registry.register_tokenized_model(...).",
    ),
    Shape(
        "DSPy integration",
        "from hokusai.integrations.mlflow_dspy import autolog",
        "UnsupportedModuleError: hokusai.integrations.mlflow_dspy is not part of this SDK: running DSPy programs belongs to DSPy itself: log a program with mlflow.dspy.log_model(program, name='model') and register model_info.model_uri with registry.register_tokenized_model(...).",
    ),
    Shape(
        "DSPy integration",
        "from hokusai.services.dspy.validators import SignatureValidator",
        "UnsupportedModuleError: hokusai.services.dspy is not part of this SDK: running DSPy programs belongs to DSPy itself: log a program with mlflow.dspy.log_model(program, name='model') and register model_info.model_uri with registry.register_tokenized_model(...).",
    ),
    Shape(
        "README",
        "from hokusai.integrations.dspy import DSPyModelWrapper",
        "UnsupportedModuleError: hokusai.integrations.dspy is not part of this SDK: running DSPy programs belongs to DSPy itself: log a program with mlflow.dspy.log_model(program, name='model') and register model_info.model_uri with registry.register_tokenized_model(...).",
    ),
    Shape(
        "Getting started",
        "from hokusai.core.dspy import DSPyModelWrapper",
        "UnsupportedModuleError: hokusai.core.dspy is not part of this SDK: running DSPy programs belongs to DSPy itself: log a program with mlflow.dspy.log_model(program, name='model') and register model_info.model_uri with registry.register_tokenized_model(...).",
    ),
    Shape(
        "Contributing data",
        "from hokusai.data import DataValidator, PIIDetector",
        "UnsupportedModuleError: hokusai.data is not part of this SDK: data submission, contributor profiles and rewards belong to the Hokusai platform; the registration-side equivalent is PerformanceTracker().track_improvement(baseline_metrics, improved_metrics, data_contribution), which logs an attested improvement run, and PerformanceTracker().detect_delta_one(model_name).",
    ),
    Shape(
        "Contributing data",
        "from hokusai.contributors import ContributorRegistry",
        "UnsupportedModuleError: hokusai.contributors is not part of this SDK: data submission, contributor profiles and rewards belong to the Hokusai platform; the registration-side equivalent is PerformanceTracker().track_improvement(baseline_metrics, improved_metrics, data_contribution), which logs an attested improvement run, and PerformanceTracker().detect_delta_one(model_name).",
    ),
    Shape(
        "Contributing data",
        "from hokusai.rewards import RewardChecker, RewardClaimer",
        "UnsupportedModuleError: hokusai.rewards is not part of this SDK: data submission, contributor profiles and rewards belong to the Hokusai platform; the registration-side equivalent is PerformanceTracker().track_improvement(baseline_metrics, improved_metrics, data_contribution), which logs an attested improvement run, and PerformanceTracker().detect_delta_one(model_name).",
    ),
    Shape(
        "Contributing data",
        "from hokusai.utils.eth_address_validator import validate_eth_address",
        "UnsupportedModuleError: hokusai.utils.eth_address_validator is not part of this SDK: data submission, contributor profiles and rewards belong to the Hokusai platform; the registration-side equivalent is PerformanceTracker().track_improvement(baseline_metrics, improved_metrics, data_contribution), which logs an attested improvement run, and PerformanceTracker().detect_delta_one(model_name).",
    ),
    Shape(
        "Overview",
        "from hokusai import HokusaiClient",
        "UnsupportedImportError: hokusai.HokusaiClient is not part of this SDK: data submission, contributor profiles and rewards belong to the Hokusai platform; the registration-side equivalent is PerformanceTracker().track_improvement(baseline_metrics, improved_metrics, data_contribution), which logs an attested improvement run, and PerformanceTracker().detect_delta_one(model_name).",
    ),
    Shape(
        "Model registration CLI",
        "from hokusai.tracking import MLflowClient",
        "UnsupportedImportError: hokusai.tracking.MLflowClient is not part of this SDK: use mlflow.MlflowClient, or manager.client of an ExperimentManager (same URI and key).",
    ),
    Shape(
        "README",
        "from hokusai.api import create_app",
        "UnsupportedModuleError: hokusai.api is not part of this SDK: the registry's API is MLflow's own, behind the API-key gateway (`hokusai local up`, `hokusai gateway serve`).",
    ),
    Shape(
        "Old SDK paths",
        "from hokusai.services import ModelRegistry",
        "works; DeprecationWarning: `from hokusai.services import ModelRegistry` is deprecated: use `from hokusai import ModelRegistry`.",
    ),
    Shape(
        "(any other path)",
        "import hokusai.anything_else",
        "ModuleNotFoundError: No module named 'hokusai.anything_else'. The Hokusai SDK's modules are hokusai (ModelRegistry), hokusai.tracking (ExperimentManager, PerformanceTracker, delta_one), hokusai.errors and hokusai.config; for code copied from the old guide, see 'Migrating from the old guide' in the docs.",
    ),
)
