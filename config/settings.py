"""Load and validate ``config/environments.json`` into the typed configuration of ``config/model.py``.

The file holds ``defaults`` and per-environment overrides (deep-merged). The pydantic models of
``config/document.py`` check every field (type, range, what it allows; unknown keys, with a did-you-mean);
the rules across fields (base model and region, datasets, graders and invocation logs, the open-weight
path's scope, evaluation needing the deployment) follow here. Every problem is reported at once, each
naming the field by its path in the file, the value as JSON and what is allowed, so a bad configuration
fails ``cdk synth`` with a message instead of a half-built stack. A problem that comes only from
``defaults`` is reported once, at ``defaults.…``, not under each environment that inherits it.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args, get_origin

from pydantic import BaseModel, ValidationError

from graders.catalog import (  # noqa: F401 (GRADERS, JUDGE_RUBRICS, Setting re-exported)
    CATALOG,
    GRADERS,
    JUDGE_RUBRICS,
    Setting,
    composition_problems,
    environment,
)

from . import base_models
from .document import (
    ENV_NAME,
    HYPERPARAMETERS,
    NOT_ALLOWED,
    DeliverySection,
    EnvironmentSection,
    allowed_of,
    models,
    render,
)

# Re-exported: stacks, app.py and the CLI read the configuration types from here.
from .model import (
    CALLER_ACCOUNT as CALLER_ACCOUNT,
    DEFAULT_CONFIG_FILE as DEFAULT_CONFIG_FILE,
    PRODUCTION_NAMES as PRODUCTION_NAMES,
    REASONING_EFFORTS as REASONING_EFFORTS,
    REPO_ROOT as REPO_ROOT,
    RFT_REGIONS as RFT_REGIONS,
    CompositeConfig as CompositeConfig,
    DatasetConfig as DatasetConfig,
    DeliveryConfig as DeliveryConfig,
    EnvironmentConfig as EnvironmentConfig,
    EvaluationConfig as EvaluationConfig,
    FormatConfig as FormatConfig,
    Hyperparameters as Hyperparameters,
    InvocationLogs as InvocationLogs,
    JudgeConfig as JudgeConfig,
    ModelDeploymentConfig as ModelDeploymentConfig,
    PreflightConfig as PreflightConfig,
)

Loc = tuple[str | int, ...]


class ConfigError(ValueError):
    """The configuration is invalid; ``problems`` lists every field at fault."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid pipeline configuration:\n  - " + "\n  - ".join(problems))


@dataclass(frozen=True)
class Problem:
    """One problem of an environment: where (a path in the file), what, and which fields it comes from.

    ``inputs`` are the fields the problem depends on (default: ``loc`` alone); when every one of them comes
    from ``defaults`` it is reported once, there. ``own``: it depends on the environment itself (its name).
    """

    loc: Loc
    text: str
    inputs: tuple[Loc, ...] = ()
    own: bool = False


def path_text(loc: Loc) -> str:
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc).lstrip(".")


def _deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


# --- pydantic errors as messages ---


def _member(annotation: Any) -> type[BaseModel] | None:
    """The model a field holds (through ``X | None``, ``dict[str, X]``, ``list[X]`` and Annotated)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _member(arg)
        if found is not None:
            return found
    return None


def _fields_at(model: type[BaseModel], loc: Loc) -> dict[str, Any]:
    """The fields (by their name in the file) of the section at ``loc``."""
    current: type[BaseModel] | None = model
    for part in loc:
        if current is None:
            return {}
        if isinstance(part, int):
            continue
        field = {f.alias or name: f for name, f in current.model_fields.items()}.get(part)
        if field is None:
            return {}
        annotation = field.annotation
        current = _member(annotation) if get_origin(annotation) is not dict else _member(get_args(annotation)[-1])
    return {} if current is None else {f.alias or name: f for name, f in current.model_fields.items()}


def unknown_text(key: str, known: Sequence[str]) -> str:
    """An unknown key: the closest known one when cheap to tell, and every known one."""
    by_lower = {k.lower(): k for k in known}
    guess = by_lower.get(key.lower()) or next(iter(difflib.get_close_matches(key, known, n=1, cutoff=0.7)), None)
    hint = f"; did you mean {json.dumps(guess)}?" if guess else ""
    return f"unknown setting{hint} (known: {', '.join(sorted(known))})"


def _problems_of(exc: ValidationError, model: type[BaseModel], at: Loc = ()) -> list[Problem]:
    found = []
    for error in exc.errors():
        loc: Loc = tuple(error["loc"])
        kind, value = error["type"], error.get("input")
        if kind == NOT_ALLOWED:
            text = f"{render(value)} is not allowed: {(error.get('ctx') or {})['allowed']}"
        elif kind == "extra_forbidden":
            text = unknown_text(str(loc[-1]), list(_fields_at(model, loc[:-1])))
        elif kind == "missing":
            allowed = allowed_of(_fields_at(model, loc[:-1]).get(str(loc[-1])))
            text = "a value is required" + (f": {allowed}" if allowed else "")
        elif kind in ("model_type", "model_attributes_type", "dict_type"):
            text = f"{render(value)} is not allowed: an object"
        else:
            text = f"{render(value)} is not allowed: {error['msg']}"
        found.append(Problem(at + loc, text))
    return found


# --- where a problem is reported: the environment, or once in ``defaults`` ---


def _origin(loc: Loc, override: Mapping[str, Any], defaults: Mapping[str, Any]) -> str:
    """``env`` when the environment writes the field (or a section around it that replaces the default's),
    ``defaults`` when only ``defaults`` does, ``absent`` when neither."""
    for source, name in ((override, "env"), (defaults, "defaults")):
        node: Any = source
        for part in loc:
            if not isinstance(node, Mapping) or part not in node:
                break
            node = node[part]
            if not isinstance(node, Mapping):
                return name
        else:
            return name
    return "absent"


def _reported_at(problem: Problem, name: str, override: Mapping[str, Any], defaults: Mapping[str, Any]) -> str:
    origins = {_origin(loc, override, defaults) for loc in (problem.inputs or (problem.loc,))}
    from_defaults = not problem.own and "env" not in origins and "defaults" in origins
    where = "defaults" if from_defaults else f"environments.{name}"
    return f"{where}.{path_text(problem.loc)}" if problem.loc else where


# --- the grader sections and the other declared sections ---


def _composite(values: Mapping[str, Any]) -> CompositeConfig:
    weights, defaults = values["weights"], values["defaultGraders"]
    return CompositeConfig(weights={k: float(v) for k, v in weights.items()}, default_graders=tuple(defaults))


PREFLIGHT_SETTINGS = (
    Setting("enabled", "", "boolean", True, doc="rehearse the deployed grader before the job starts"),
    Setting("sampleRows", "", "integer", 32, low=1, high=500),
    Setting("judgeSampleRows", "", "integer", 4, low=1, high=32, doc="rows rehearsed when the judge is called"),
    Setting("minAuc", "", "number", 0.8, low=0.5, high=1),
    Setting("minGap", "", "number", 0.3, low=0, high=1),
    Setting("maxLowReferenceShare", "", "number", 0.2, low=0, high=1),
)
REWARD_HEALTH_SETTINGS = (
    Setting("periodMinutes", "", "integer", 15, low=1, high=60),
    Setting("evaluationPeriods", "", "integer", 2, low=1, high=24),
    Setting("maxMalformedShare", "", "number", 0.05, low=0, high=1),
    Setting("maxNoConstraintsShare", "", "number", 0.05, low=0, high=1),
    Setting("maxJudgeErrorShare", "", "number", 0.05, low=0, high=1),
    Setting("maxNeutralScoreShare", "", "number", 0.1, low=0, high=1),
    Setting("stuckMargin", "", "number", 0.01, low=0, high=0.2),
    Setting("minRewardSpread", "", "number", 0.05, low=0, high=1),
    Setting("maxDurationShareOfTimeout", "", "number", 0.8, low=0.1, high=1),
)


def _snake(key: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", key).lower()


def _section(env: BaseModel, name: str) -> dict[str, Any]:
    """A generated section's settings by their config keys, defaults filled."""
    return dict(getattr(env, name).model_dump())


def _grader_sections(env: BaseModel) -> dict[str, dict[str, Any]]:
    """Every grader kind's settings (config keys, defaults filled), what the Lambdas' environments use."""
    return {kind: _section(env, kind) for kind in CATALOG}


# --- the rules across fields ---


HYPERPARAMETER_NAMES = tuple(base_models.PATH_HYPERPARAMETERS.values())


def _hyperparameters(
    raw: Any, path: str, base_model_id: str
) -> tuple[list[Problem], Hyperparameters | None, dict[str, Any] | None]:
    """``hyperparameters`` holds the path's API names: Nova camelCase, open-weight snake_case.
    ``null`` (or an empty object) on the open-weight path means that path's defaults."""
    loc: Loc = ("hyperparameters",)
    open_weight = path == base_models.OPEN_WEIGHT
    if raw is None and open_weight:
        raw = {}
    if not isinstance(raw, Mapping):
        allowed = "an object of open-weight hyperparameters, or null for the defaults" if open_weight else "an object"
        return [Problem(loc, f"{render(raw)} is not allowed: {allowed}")], None, None
    own = base_models.PATH_HYPERPARAMETERS[path]
    foreign = {k: v for k, v in raw.items() if k not in own and any(k in h for h in HYPERPARAMETER_NAMES)}
    problems = []
    if foreign:
        try:
            base_models.validate_hyperparameters(base_model_id, foreign)
        except base_models.BaseModelError as exc:
            inputs = (*((*loc, k) for k in foreign), ("baseModelId",))
            problems.append(Problem(loc, str(exc).removeprefix("hyperparameters: "), inputs=inputs))
    model = HYPERPARAMETERS[path]
    try:
        values = model.model_validate({k: v for k, v in raw.items() if k not in foreign}).model_dump()
    except ValidationError as exc:
        return problems + _problems_of(exc, model, loc), None, None
    if open_weight:
        return problems, None, values
    return problems, Hyperparameters(**{_snake(k): v for k, v in values.items()}), None


def _rules(
    name: str, env: EnvironmentSection, raw: Mapping[str, Any], failed: set[str]
) -> tuple[list[Problem], dict[str, Any]]:
    """The rules across fields, each where the fields it reads are valid; and what they resolve."""
    problems: list[Problem] = []
    resolved: dict[str, Any] = {}

    def ok(*keys: str) -> bool:
        return not failed.intersection(keys)

    def required(key: str, value: Any, allowed: str) -> bool:
        if value is None and ok(key):
            problems.append(Problem((key,), f"a value is required: {allowed}"))
        return value is not None

    # A field that failed its own check is unset here (its problem is already reported).
    required("account", env.account, f'a 12-digit account id, or "{CALLER_ACCOUNT}"')
    if env.account == CALLER_ACCOUNT and name in PRODUCTION_NAMES:
        problems.append(
            Problem(
                ("account",),
                f"{render(env.account)} is not allowed: production needs an explicit 12-digit account id",
                own=True,
            )
        )
    path = base_models.NOVA
    base_model_id, region = env.base_model_id, env.region
    required("baseModelId", base_model_id, "a model Bedrock offers RFT for")
    required("region", region, "the region of the training path")
    if base_model_id is not None:
        path = base_models.training_path(base_model_id)
        regions = base_models.PATH_REGIONS[path]
        if region is not None and region not in regions:
            problems.append(
                Problem(
                    ("region",),
                    f"{render(region)} is not allowed: Bedrock reinforcement fine-tuning of baseModelId "
                    f"{base_model_id} takes {base_models.PATH_LABEL[path]}, offered only in {', '.join(regions)}",
                    inputs=(("region",), ("baseModelId",)),
                )
            )
        found, resolved["hyperparameters"], resolved["open_weight_hyperparameters"] = _hyperparameters(
            raw.get("hyperparameters"), path, base_model_id
        )
        problems += found
    resolved["training_path"] = path
    required("grader", env.grader, "one of " + ", ".join(CATALOG))
    dataset = env.dataset
    logs = dataset.invocation_logs if dataset else None
    if ok("dataset"):
        training = dataset.training if dataset else None
        validation = dataset.validation if dataset else None
        if (training is None) == (logs is None):
            problems.append(
                Problem(
                    ("dataset",),
                    "set exactly one of 'training' (a JSONL file) or 'invocationLogs'",
                    inputs=(("dataset", "training"), ("dataset", "invocationLogs")),
                )
            )
        if logs is not None and logs.s3_uri is None:
            problems.append(
                Problem(("dataset", "invocationLogs", "s3Uri"), "a value is required: an s3://bucket/prefix URI")
            )
        if training and training == validation:
            problems.append(
                Problem(
                    ("dataset", "validation"),
                    f"{render(validation)} is not allowed: a file other than the training file",
                    inputs=(("dataset", "training"), ("dataset", "validation")),
                )
            )
    if ok("format"):
        problems += _format_constraint_problems(_section(env, "format"))
    if ok("dataset", "grader", "composite", "format") and logs is not None and env.grader:
        problems += _logged_prompt_rules(env.grader, _section(env, "composite"), _section(env, "format"))
    judge = _section(env, "judge")
    if ok("judge") and judge["rubric"] == "custom" and not judge["customRubric"]:
        problems.append(
            Problem(
                ("judge", "customRubric"),
                f'{render(judge["customRubric"])} is not allowed: the rubric text, required when rubric is "custom"',
                inputs=(("judge", "rubric"), ("judge", "customRubric")),
            )
        )
    if ok(*CATALOG):  # e.g. a composite that runs code (isolated, no network) cannot also call the judge
        settings = _grader_sections(env)
        for kind in CATALOG:
            for message in composition_problems(kind, settings):
                key, text = message.split(": ", 1)
                problems.append(Problem((kind, key), text))
    deploy = env.model_deployment.enabled
    if base_model_id is not None and path == base_models.OPEN_WEIGHT:
        if ok("dataset") and logs is not None:
            problems.append(
                Problem(
                    ("dataset", "invocationLogs"),
                    "not allowed on the open-weight path: the Files API uploads a JSONL file (dataset.training); "
                    "invocation logs are a CreateModelCustomizationJob data source",
                    inputs=(("dataset", "invocationLogs"), ("baseModelId",)),
                )
            )
        if ok("modelDeployment") and deploy:
            problems.append(
                Problem(
                    ("modelDeployment", "enabled"),
                    "true is not allowed: false on the open-weight path: the tuned model is invoked by its "
                    "fine-tuned model id, there is no deployment step",
                    inputs=(("modelDeployment", "enabled"), ("baseModelId",)),
                )
            )
    evaluation = env.evaluation
    if ok("evaluation", "modelDeployment") and evaluation.enabled and not deploy:
        problems.append(
            Problem(
                ("evaluation", "enabled"),
                "true is not allowed: false unless modelDeployment.enabled is true: the evaluation invokes the "
                "tuned model through its on-demand deployment",
                inputs=(("evaluation", "enabled"), ("modelDeployment", "enabled")),
            )
        )
    resolved["evaluation_dataset"] = evaluation.dataset or (dataset.validation or dataset.training if dataset else None)
    if ok("evaluation", "dataset") and evaluation.enabled and resolved["evaluation_dataset"] is None:
        problems.append(
            Problem(
                ("evaluation", "dataset"),
                "null is not allowed: a JSONL file in datasets/: the training data are invocation logs and there "
                "is no validation file to default to",
                inputs=(("evaluation", "enabled"), ("evaluation", "dataset"), ("dataset",)),
            )
        )
    return problems, resolved


def _format_constraint_problems(fmt: Mapping[str, Any]) -> list[Problem]:
    """The format grader reads its own settings (constraint ids and their arguments): a default constraint it
    cannot read would score rows 0, so it is refused here, with the rest of the configuration."""
    from graders.format_rules.grader import FormatGrader, FormatSettings  # synth-time, and only here

    try:
        FormatGrader.from_settings(FormatSettings.from_environment(environment("format", {"format": fmt})))
    except ValueError as exc:
        return [Problem(("format",), str(exc))]
    return []


def _logged_prompt_rules(grader: str, composite: Mapping[str, Any], fmt: Mapping[str, Any]) -> list[Problem]:
    """Invocation logs carry prompts only: no reference answers, tests or reference calls, no constraints."""
    problems = []
    parts = composite["defaultGraders"] if grader == "composite" else []
    inputs = (("grader",), ("dataset", "invocationLogs"), ("composite", "defaultGraders"))
    for kind in (grader, *parts):
        reference = CATALOG[kind].row_reference if kind in CATALOG else None
        if reference:
            problems.append(
                Problem(
                    ("grader",),
                    f"{render(grader)} is not allowed: not the {kind} grader (alone or in the composite's "
                    f"defaultGraders) with invocationLogs: logged prompts carry no {reference}, so every answer "
                    "would score 0",
                    inputs=inputs,
                )
            )
    if (grader == "format" or "format" in parts) and not fmt["defaultConstraints"]:
        problems.append(
            Problem(
                ("grader",),
                f"{render(grader)} is not allowed: the format grader with invocationLogs only with "
                "format.defaultConstraints: logged prompts carry no constraints",
                inputs=(*inputs, ("format", "defaultConstraints")),
            )
        )
    return problems


# --- one environment ---


def _environment(name: str, raw: Mapping[str, Any], project: str) -> tuple[list[Problem], EnvironmentConfig | None]:
    model = models().environment
    problems: list[Problem] = []
    failed: set[str] = set()
    try:
        env = model.model_validate(raw)
    except ValidationError as exc:
        problems = _problems_of(exc, model)
        failed = {str(e["loc"][0]) for e in exc.errors() if e["loc"]}
        # What did validate still takes part in the rules across fields, so every problem shows at once.
        env = model.model_validate({k: v for k, v in raw.items() if k not in failed})
    found, resolved = _rules(name, env, raw, failed)
    problems += found
    if problems:
        return problems, None
    sections = _grader_sections(env)
    judge, fmt, composite = sections["judge"], sections["format"], _composite(sections["composite"])
    sections["composite"]["weights"] = dict(composite.weights)  # as the composite Lambda reads them: floats
    # The rules above saw to it that these are set.
    dataset, region, base_model_id, grader = env.dataset, env.region, env.base_model_id, env.grader
    assert dataset is not None and region is not None and base_model_id is not None and grader is not None
    logs = dataset.invocation_logs
    config = EnvironmentConfig(
        name=name,
        project=project,
        account=None if env.account == CALLER_ACCOUNT else env.account,
        region=region,
        base_model_id=base_model_id,
        dataset=DatasetConfig(
            training=dataset.training,
            validation=dataset.validation,
            invocation_logs=None
            if logs is None
            else InvocationLogs(
                s3_uri=logs.s3_uri or "",
                use_prompt_response=logs.use_prompt_response,
                manage_logging=logs.manage_logging,
                request_metadata_filters=logs.request_metadata_filters,
            ),
        ),
        grader=grader,
        judge=JudgeConfig(
            model_id=judge["modelId"] or "",
            rubric=judge["rubric"],
            custom_rubric=judge["customRubric"],
            max_concurrency=judge["maxConcurrency"],
            injection_penalty=float(judge["injectionPenalty"]),
        ),
        format=FormatConfig(scoring=fmt["scoring"], loose=fmt["loose"], default_constraints=fmt["defaultConstraints"]),
        composite=composite,
        grader_settings=sections,
        preflight=PreflightConfig(**{_snake(k): v for k, v in _section(env, "preflight").items()}),
        reward_health={_snake(k): v for k, v in _section(env, "reward_health").items()},  # the declared types
        hyperparameters=resolved["hyperparameters"],
        start_training=env.start_training,
        data_kms_key=env.data_kms_key,
        notification_emails=tuple(env.notifications.emails),
        model_deployment=ModelDeploymentConfig(
            enabled=env.model_deployment.enabled, retain_on_delete=env.model_deployment.retain_on_delete
        ),
        evaluation=EvaluationConfig(
            enabled=env.evaluation.enabled,
            dataset=resolved["evaluation_dataset"],
            base_model_id=env.evaluation.base_model_id,
            max_concurrency=env.evaluation.max_concurrency,
            limit=env.evaluation.limit,
        ),
        training_path=resolved["training_path"],
        open_weight_hyperparameters=resolved["open_weight_hyperparameters"],
    )
    return [], config


def _path_of(base_model_id: Any) -> str | None:
    try:
        return base_models.training_path(base_model_id) if isinstance(base_model_id, str) else None
    except base_models.BaseModelError:
        return None


def _inherited_defaults(defaults: Mapping[str, Any], override: Mapping[str, Any]) -> Mapping[str, Any]:
    """``defaults.hyperparameters`` are spelled for the path of ``defaults.baseModelId``: an environment whose
    baseModelId takes the other path does not inherit them (it starts from its own path's defaults)."""
    if "baseModelId" not in override:
        return defaults
    default_path, own_path = _path_of(defaults.get("baseModelId")), _path_of(override.get("baseModelId"))
    if default_path and own_path and default_path != own_path:
        return {k: v for k, v in defaults.items() if k != "hyperparameters"}
    return defaults


def parse_config(document: Mapping[str, Any]) -> dict[str, EnvironmentConfig]:
    """Validate a whole configuration document; raise :class:`ConfigError` listing every problem."""
    problems: list[str] = []
    top = models().document
    project = "rft"
    try:
        project = top.model_validate(document).project
    except ValidationError as exc:
        problems += [f"{path_text(p.loc)}: {p.text}" for p in _problems_of(exc, top)]
    defaults = document.get("defaults") or {}
    if not isinstance(defaults, Mapping):
        problems.append(f"defaults: {render(defaults)} is not allowed: an object")
        defaults = {}
    environments = document.get("environments")
    if not isinstance(environments, Mapping) or not environments:
        problems.append("environments: at least one environment is required")
        environments = {}
    configs = {}
    for name, override in environments.items():
        if not ENV_NAME.match(name):
            # No "-": events are matched to an environment's jobs by the name prefix "<project>-<env>-".
            problems.append(f"environments.{name}: environment names are 1-20 lowercase letters or digits")
        if not isinstance(override, Mapping):
            problems.append(f"environments.{name}: {render(override)} is not allowed: an object")
            continue
        inherited = _inherited_defaults(defaults, override)
        found, config = _environment(name, _deep_merge(inherited, override), project)
        problems += [f"{_reported_at(p, name, override, inherited)}: {p.text}" for p in found]
        if config is not None:
            configs[name] = config
    if problems:
        raise ConfigError(list(dict.fromkeys(problems)))  # a problem of ``defaults`` once, not per environment
    return configs


def load_document(path: Path | str = DEFAULT_CONFIG_FILE) -> dict[str, Any]:
    """The raw configuration document of a JSON file (not yet validated)."""
    path = Path(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError([f"{path}: configuration file not found"]) from None
    except json.JSONDecodeError as exc:
        raise ConfigError([f"{path}: not valid JSON: {exc}"]) from None
    if not isinstance(document, dict):
        raise ConfigError([f"{path}: the configuration must be a JSON object"])
    return document


def load_config(path: Path | str = DEFAULT_CONFIG_FILE) -> dict[str, EnvironmentConfig]:
    return parse_config(load_document(path))


def select_environment(configs: Mapping[str, EnvironmentConfig], name: str) -> EnvironmentConfig:
    if name not in configs:
        # The name comes from the command line (-c env=, --env), not from the file.
        raise ConfigError([f"env: {name!r} is not a configured environment (have: {', '.join(configs)})"])
    return configs[name]


def parse_delivery(document: Mapping[str, Any], environments: Mapping[str, EnvironmentConfig]) -> DeliveryConfig | None:
    """The ``delivery`` section (the cross-account pipeline), or None when there is none."""
    raw = document.get("delivery")
    if raw is None:
        return None
    try:
        delivery = DeliverySection.model_validate(raw)
    except ValidationError as exc:
        found = _problems_of(exc, DeliverySection, ("delivery",))
        raise ConfigError([f"{path_text(p.loc)}: {p.text}" for p in found]) from None
    problems = []
    unknown = [s for s in delivery.stages if s not in environments]
    if unknown:
        problems.append(
            f"delivery.stages: {render(delivery.stages)} is not allowed: a non-empty list of configured environments "
            f"({', '.join(environments)}), in rollout order"
        )
    for stage in delivery.stages:
        if stage in environments and environments[stage].account is None:
            problems.append(
                f"delivery.stages: environment {render(stage)} uses the caller's account; a pipeline stage "
                "needs an explicit 12-digit account"
            )
    if problems:
        raise ConfigError(problems)
    return DeliveryConfig(
        account=delivery.account,
        region=delivery.region,
        repository=delivery.repository,
        branch=delivery.branch,
        connection_arn=delivery.connection_arn,
        stages=tuple(delivery.stages),
    )
