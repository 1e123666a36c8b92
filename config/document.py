"""The pydantic models of ``config/environments.json``: field types, ranges, defaults and descriptions.

Grader sections are generated from the grader catalogue (``graders.catalog``: one model per kind, one field
per :class:`~graders.catalog.Setting`), preflight and reward-health sections from their declared settings
(``config.settings``), hyperparameters from ``config/base_models.py``. The same models give the JSON Schema
(``config/schema.py``). Every field carries an :class:`Allowed` text: whatever is wrong with a value, the
error says what the field allows. Rules across fields (paths, regions, datasets) live in ``config.settings``.

Synth-time only: nothing under ``lambda/`` imports this module (or pydantic).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, cast

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    SkipValidation,
    Strict,
    StringConstraints,
    ValidationError,
    create_model,
)
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError, core_schema

from graders.catalog import CATALOG, COMPONENTS, Setting

from . import base_models
from .model import CALLER_ACCOUNT, REPO_ROOT, RFT_REGIONS, EvaluationConfig

NOT_ALLOWED = "not_allowed"  # the error type of every field failure (ctx: allowed)

ENV_NAME = re.compile(r"^[a-z][a-z0-9]{0,19}$")
ACCOUNT = r"^\d{12}$"
# A foundation-model id, a cross-region inference profile id, or either one's ARN.
MODEL_ID = re.compile(
    r"^(arn:aws:bedrock:[a-z0-9-]*:\d{0,12}:(foundation-model|inference-profile)/)?[a-z0-9-]+\.[A-Za-z0-9.:_-]+$"
)
METADATA_FILTER_KEYS = ("equals", "notEquals", "andAll", "orAll")


def render(value: Any) -> str:
    """A value as the file spells it (JSON), shortened when long."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 120 else text[:117] + "..."


def number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else f"{value:g}"


def range_text(integer: bool, low: float | None, high: float | None, low_open: bool = False) -> str:
    kind = "an integer" if integer else "a number"
    if low is not None and high is not None and not low_open:
        return f"{kind} from {number_text(low)} to {number_text(high)}"
    if low is not None:
        bound = f"> {number_text(low)}" if low_open else f">= {number_text(low)}"
        return f"{kind} {bound}" + (f" and <= {number_text(high)}" if high is not None else "")
    return kind


class Allowed:
    """What a field allows. Any failure of the field becomes one ``not_allowed`` error carrying this text.

    ``ok`` (a predicate) or ``check`` (returns why a value is refused, in its own words, or None) runs first.
    With ``keep`` a value they accept is kept as given: the catalogue's checks are the authority for grader
    settings, so values reach the Lambdas' environments exactly as written. Otherwise the field's type
    validates and converts it.
    """

    def __init__(
        self,
        text: str,
        *,
        ok: Callable[[Any], bool] | None = None,
        check: Callable[[Any], str | None] | None = None,
        keep: bool = False,
    ) -> None:
        self.text, self.ok, self.check, self.keep = text, ok, check, keep

    def reason(self, value: Any) -> str | None:
        if self.check is not None:
            return self.check(value)
        if self.ok is not None and not self.ok(value):
            return self.text
        return None

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        def validate(value: Any, inner: core_schema.ValidatorFunctionWrapHandler) -> Any:
            reason = self.reason(value)
            if reason is None:
                if self.keep:
                    return value
                try:
                    return inner(value)
                except ValidationError:
                    reason = self.text
            raise PydanticCustomError(NOT_ALLOWED, "{allowed}", {"allowed": reason})

        return core_schema.no_info_wrap_validator_function(validate, handler(source))


def allowed_of(field: Any) -> str | None:
    """The :class:`Allowed` text of a pydantic ``FieldInfo``, if it has one."""
    return next((m.text for m in getattr(field, "metadata", ()) if isinstance(m, Allowed)), None)


def _not_null(schema: dict[str, Any]) -> None:
    """A field that defaults to "unset" but may not be written as null: the schema offers only its type."""
    options = schema.pop("anyOf", None)
    if options is not None:
        schema.update(next(o for o in options if o != {"type": "null"}))
    schema.pop("default", None)


def _dataset_file(value: Any) -> bool:
    """Only datasets/*.jsonl is uploaded (to training/<file name>), so the file must live there."""
    return value is None or (
        isinstance(value, str)
        and Path(value).parent == Path("datasets")
        and value.endswith(".jsonl")
        and (REPO_ROOT / value).is_file()
    )


def _metadata_filters(value: Any) -> bool:
    return value is None or (isinstance(value, Mapping) and len(value) == 1 and set(value) <= set(METADATA_FILTER_KEYS))


# --- field types of the hand-written sections ---

_REGIONS = tuple(dict.fromkeys(r for regions in base_models.PATH_REGIONS.values() for r in regions))
_MODELS = tuple(m for models in base_models.PATH_MODELS.values() for m in models)
_SUPPORTED = "; ".join(f"{base_models.PATH_LABEL[p]}: {', '.join(m)}" for p, m in base_models.PATH_MODELS.items())
_DATASET_FILE = "an existing .jsonl file directly in datasets/"

Flag = Annotated[bool, Strict(), Allowed("true or false")]
AccountId = Annotated[
    str | None,
    StringConstraints(pattern=rf"^(\d{{12}}|{CALLER_ACCOUNT})$"),
    Allowed(f'a 12-digit account id, or "{CALLER_ACCOUNT}" outside production'),
]
RegionName = Annotated[str | None, StringConstraints(pattern=r"^[a-z]{2}(-[a-z]+)+-\d$"), Allowed("a region name")]
BaseModelId = Annotated[
    str | None,
    Allowed(f"a model Bedrock offers RFT for. Supported: {_SUPPORTED}", ok=lambda v: v is None or v in _MODELS),
]
TrainingFile = Annotated[
    str | None, Allowed(f"{_DATASET_FILE} (e.g. datasets/my_prompts.jsonl)", ok=_dataset_file, keep=True)
]
EvaluationFile = Annotated[
    str | None, Allowed(f"{_DATASET_FILE} (uploaded to training/ with the others)", ok=_dataset_file, keep=True)
]
S3Uri = Annotated[
    str | None,
    StringConstraints(pattern=r"^s3://[a-z0-9][-.a-z0-9]{1,61}[a-z0-9](/.*)?$"),
    Allowed("an s3://bucket/prefix URI"),
]
MetadataFilters = Annotated[
    dict[str, Any] | None,
    Allowed(
        "one of {equals: {k: v}}, {notEquals: {k: v}}, {andAll: [...]}, {orAll: [...]}", ok=_metadata_filters, keep=True
    ),
]
Emails = Annotated[
    list[Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]],
    Strict(),
    Allowed("a list of e-mail addresses"),
]
InvokableModelId = Annotated[
    str,
    StringConstraints(pattern=MODEL_ID.pattern),
    Allowed(
        "a Bedrock on-demand model id or inference profile id (or ARN) of the base model, "
        "e.g. us.amazon.nova-2-lite-v1:0 (the customization id is not invokable)"
    ),
]
EvaluationConcurrency = Annotated[int, Strict(), Field(ge=1, le=1000), Allowed("an integer from 1 to 1000")]
EvaluationLimit = Annotated[
    Annotated[int, Strict(), Field(ge=1)] | None, Allowed("an integer >= 1 (the first N rows), or null for every row")
]
ProjectName = Annotated[
    str, StringConstraints(pattern=r"^[a-z][a-z0-9]{1,15}$"), Allowed("2-16 lowercase letters or digits")
]


def _model_schema(schema: dict[str, Any]) -> None:
    _not_null(schema)
    schema["enum"] = list(_MODELS)


def _region_schema(schema: dict[str, Any]) -> None:
    _not_null(schema)
    schema.pop("pattern", None)
    schema["enum"] = list(_REGIONS)


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", alias_generator=to_camel)


class InvocationLogsSection(_Section):
    """Train from Bedrock invocation logs instead of a JSONL file."""

    s3_uri: S3Uri = Field(None, description="s3://bucket/prefix of the invocation logs", json_schema_extra=_not_null)
    use_prompt_response: Flag = Field(False, description="train on the logged prompts and responses")
    request_metadata_filters: MetadataFilters = Field(
        None, description="one of equals, notEquals, andAll, orAll (CreateModelCustomizationJob)"
    )
    manage_logging: Flag = Field(False, description="the data stack turns Bedrock invocation logging on to this bucket")


class DatasetSection(_Section):
    """The training data: exactly one of a JSONL file in datasets/ or invocation logs."""

    training: TrainingFile = Field(None, description="a JSONL file directly in datasets/ (null clears a default)")
    validation: TrainingFile = Field(None, description="optional validation JSONL, also in datasets/")
    invocation_logs: InvocationLogsSection | None = Field(None, description="train from Bedrock invocation logs")


class NotificationsSection(_Section):
    """Who hears when a job ends."""

    emails: Emails = Field(default_factory=list, description="e-mail addresses")


class ModelDeploymentSection(_Section):
    """On-demand deployment of the trained model (Nova path only)."""

    enabled: Flag = Field(False, description="deploy the trained model for on-demand inference")
    retain_on_delete: Flag = Field(False, description="keep the deployment when the stack is deleted")


class EvaluationSection(_Section):
    """After training (deployment on): the tuned deployment against the base model, graded by the job's grader."""

    enabled: Flag = Field(False, description="evaluate after training; only with modelDeployment.enabled")
    dataset: EvaluationFile = Field(
        None, description="a JSONL file in datasets/; default the validation file, else the training file"
    )
    base_model_id: InvokableModelId = Field(
        EvaluationConfig.base_model_id, description="the base model as invoked on demand"
    )
    max_concurrency: EvaluationConcurrency = Field(8, description="rows evaluated at once")
    limit: EvaluationLimit = Field(None, description="only the first N rows (null: every row)")


class DeliverySection(_Section):
    """The cross-account delivery pipeline (CDK Pipelines) and the environments it rolls out, in order."""

    account: Annotated[str, StringConstraints(pattern=ACCOUNT), Allowed("a 12-digit account id")] = Field(
        description="account of the pipeline"
    )
    region: Annotated[str, Allowed("one of " + ", ".join(RFT_REGIONS), ok=lambda v: v in RFT_REGIONS)] = Field(
        description="region of the pipeline", json_schema_extra={"enum": list(RFT_REGIONS)}
    )
    repository: Annotated[
        str, StringConstraints(pattern=r"^[\w.-]+/[\w.-]+$"), Allowed("owner/name of the GitHub repository")
    ] = Field(description="owner/name on GitHub")
    branch: Annotated[str, StringConstraints(pattern=r"^[\w./-]+$"), Allowed("a branch name")] = Field(
        description="the branch that is rolled out"
    )
    connection_arn: Annotated[
        str,
        StringConstraints(
            pattern=r"^arn:aws:(codestar-connections|codeconnections):[a-z0-9-]+:\d{12}:connection/[\w-]+$"
        ),
        Allowed("a CodeConnections connection ARN"),
    ] = Field(description="CodeConnections (CodeStar) connection to the repository")
    stages: Annotated[
        list[str],
        Strict(),
        Field(min_length=1),
        Allowed("a non-empty list of configured environments, in rollout order"),
    ] = Field(description="configured environments, in rollout order")


# --- sections generated from declared settings (the grader catalogue, preflight, reward health) ---

_PY_TYPES: dict[str, Any] = {
    "number": float,
    "integer": int,
    "boolean": bool,
    "string": str,
    "object": dict[str, Any],
    "list": list[Any],
}


def _composite_weights(value: Any) -> str | None:
    ok = (
        isinstance(value, Mapping)
        and value
        and not set(value) - set(COMPONENTS)
        and all(not isinstance(v, bool) and isinstance(v, (int, float)) and v >= 0 for v in value.values())
        and sum(value.values()) > 0
    )
    return None if ok else f"an object of non-negative numbers keyed by {', '.join(COMPONENTS)}, not all 0"


def _composite_graders(value: Any) -> str | None:
    ok = isinstance(value, list) and value and all(g in COMPONENTS for g in value)
    return None if ok else f"a non-empty list drawn from {', '.join(COMPONENTS)}"


def _judge_model(value: Any) -> str | None:
    ok = isinstance(value, str) and MODEL_ID.match(value)
    return None if ok else "a Bedrock model id, inference profile id or ARN"


# What a setting allows beyond its catalogue type and range, by (kind, key): extra checks, not a list of settings.
SETTING_CHECKS: dict[tuple[str, str], Callable[[Any], str | None]] = {
    ("composite", "weights"): _composite_weights,
    ("composite", "defaultGraders"): _composite_graders,
    ("judge", "modelId"): _judge_model,
}


def _setting_field(setting: Setting, extra: Callable[[Any], str | None] | None) -> tuple[Any, Any]:
    """One declared setting as a pydantic field: the catalogue's check validates, the type describes."""
    base: Any = Literal[setting.choices] if setting.type == "choice" else _PY_TYPES[setting.type]
    constraints: dict[str, Any] = {}
    if setting.type in ("number", "integer"):
        constraints = {"ge": setting.low, "le": setting.high}
    elif setting.type == "string":
        constraints = {"min_length": 1}
    typ: Any = Annotated[base, Field(**constraints)]
    if setting.nullable or setting.default is None:
        typ = typ | None

    def check(value: Any) -> str | None:
        return setting.problem(value) or (extra(value) if extra and value is not None else None)

    described = setting.problem(object()) or setting.type  # what it allows, for a "missing" message
    info = Field(setting.default, description=setting.doc or described)
    return Annotated[typ, Allowed(described, check=check, keep=True)], info


def section_model(name: str, settings: tuple[Setting, ...], doc: str, kind: str | None = None) -> type[BaseModel]:
    """A section of declared settings: one field per setting (its key, type, range, default and doc)."""
    fields: dict[str, Any] = {
        s.key: _setting_field(s, SETTING_CHECKS.get((kind, s.key)) if kind else None) for s in settings
    }
    return cast(type[BaseModel], create_model(name, __config__=ConfigDict(extra="forbid"), __doc__=doc, **fields))


def _range_field(rng: base_models.Range, default: Any) -> tuple[Any, Any]:
    typ: Any
    if rng.choices:
        typ = Annotated[Literal[rng.choices], Allowed("one of " + ", ".join(rng.choices))]
    else:
        integer = rng.kind is int
        bounds: dict[str, Any] = {"gt" if rng.low_open else "ge": rng.low, "le": rng.high}
        allowed = range_text(integer, rng.low, rng.high, rng.low_open)
        typ = Annotated[int if integer else float, Strict(), Field(**bounds), Allowed(allowed)]
    description = rng.describe() + ("; each environment needs it (set in defaults)" if default is None else "")
    return typ, (Field(description=description) if default is None else Field(default=default, description=description))


def hyperparameters_model(path: str) -> type[BaseModel]:
    """A training path's hyperparameters by the API's names (Nova: all required; open-weight: defaulted)."""
    ranges = base_models.PATH_HYPERPARAMETERS[path]
    defaults = base_models.OPEN_WEIGHT_DEFAULTS if path == base_models.OPEN_WEIGHT else {}
    name = "NovaHyperparameters" if path == base_models.NOVA else "OpenWeightHyperparameters"
    fields: dict[str, Any] = {key: _range_field(rng, defaults.get(key)) for key, rng in ranges.items()}
    doc = f"hyperparameters of {base_models.PATH_LABEL[path]}, by its API's names"
    # The file spreads them over defaults and environments: the schema requires none of them.
    config = ConfigDict(extra="forbid", json_schema_extra=_optional_in_file)
    return cast(type[BaseModel], create_model(name, __config__=config, __doc__=doc, **fields))


def _optional_in_file(schema: dict[str, Any]) -> None:
    schema.pop("required", None)


HYPERPARAMETERS: dict[str, type[BaseModel]] = {path: hyperparameters_model(path) for path in base_models.PATH_MODELS}


GRADER_DOC = "the grader the job uses (a kind of the grader catalogue)"


def _camel(name: str) -> str:
    return re.sub(r"(?:[-_ ])([a-z])", lambda m: m.group(1).upper(), name)


class EnvironmentSection(_Section):
    """One environment's settings; ``defaults`` holds the same, deep-merged under each environment."""

    account: AccountId = Field(
        None,
        description=f'target account: 12 digits, or "{CALLER_ACCOUNT}" (the deploying credentials\'; not production)',
        json_schema_extra=_not_null,
    )
    region: RegionName = Field(
        None,
        description="target region, by the path baseModelId selects: "
        + "; ".join(f"{', '.join(r)} for {base_models.PATH_LABEL[p]}" for p, r in base_models.PATH_REGIONS.items()),
        json_schema_extra=_region_schema,
    )
    base_model_id: BaseModelId = Field(
        None, description="model to fine-tune; selects the training path", json_schema_extra=_model_schema
    )
    dataset: DatasetSection | None = Field(None, description=DatasetSection.__doc__, json_schema_extra=_not_null)
    grader: str | None = Field(None, description=GRADER_DOC)  # the catalogue's kinds (Models)
    start_training: Flag = Field(False, description="start the (paid) job on deploy")
    data_kms_key: Flag = Field(False, description="customer-managed KMS key for the data bucket")
    notifications: NotificationsSection = Field(
        default_factory=NotificationsSection, description=NotificationsSection.__doc__
    )
    model_deployment: ModelDeploymentSection = Field(
        default_factory=ModelDeploymentSection, description=ModelDeploymentSection.__doc__
    )
    evaluation: EvaluationSection = Field(default_factory=EvaluationSection, description=EvaluationSection.__doc__)


class _DocumentBase(BaseModel):
    """bedrock-rft-pipeline configuration (config/environments.json)."""

    model_config = ConfigDict(
        extra="forbid", title="bedrock-rft-pipeline configuration", json_schema_extra={"required": ["environments"]}
    )

    schema_: str | None = Field(
        None, alias="$schema", description="the JSON Schema of this file, for editors", json_schema_extra=_not_null
    )
    project: ProjectName = Field("rft", description="prefix of every stack and resource name")


def _environments_schema(schema: dict[str, Any]) -> None:
    _not_null(schema)
    schema["additionalProperties"] = False
    schema["minProperties"] = 1


class Models:
    """The models of one state of the catalogue (a test may declare a kind: the models follow it)."""

    def __init__(self) -> None:
        from .settings import PREFLIGHT_SETTINGS, REWARD_HEALTH_SETTINGS

        kinds = {
            kind.name: section_model(
                f"{_camel(kind.name).capitalize()}Grader",
                kind.settings,
                f"settings of the {kind.name} grader (rows need {kind.row_needs})",
                kind.name,
            )
            for kind in CATALOG.values()
        }
        preflight = section_model("Preflight", PREFLIGHT_SETTINGS, "rehearse the deployed grader before the job starts")
        reward_health = section_model("RewardHealth", REWARD_HEALTH_SETTINGS, "reward-health alarm thresholds")
        grader: Any = Annotated[Literal[tuple(kinds)] | None, Allowed("one of " + ", ".join(kinds))]
        hyperparameters: Any = Annotated[
            HYPERPARAMETERS[base_models.NOVA] | HYPERPARAMETERS[base_models.OPEN_WEIGHT] | None, SkipValidation
        ]
        fields: dict[str, Any] = {
            "grader": (grader, Field(None, description=GRADER_DOC, json_schema_extra=_not_null)),
            **{name: (model, Field(default_factory=model, description=model.__doc__)) for name, model in kinds.items()},
            "preflight": (preflight, Field(default_factory=preflight, description=preflight.__doc__)),
            "reward_health": (reward_health, Field(default_factory=reward_health, description=reward_health.__doc__)),
            # Validated by the path baseModelId selects (config.settings); the schema offers both spellings.
            "hyperparameters": (
                hyperparameters,
                Field(
                    None,
                    description="Nova names (epochCount, ...) or open-weight names (n_epochs, ...), by the path "
                    "baseModelId selects; null on the open-weight path: its defaults",
                ),
            ),
        }
        environment = cast(type[EnvironmentSection], create_model("Environment", __base__=EnvironmentSection, **fields))
        environment_type: Any = environment
        defaults: Any = Annotated[environment_type | None, SkipValidation]
        environments: Any = Annotated[
            dict[Annotated[str, StringConstraints(pattern=ENV_NAME.pattern)], environment_type] | None, SkipValidation
        ]
        delivery: Any = Annotated[DeliverySection | None, SkipValidation]
        document = create_model(
            "Configuration",
            __base__=_DocumentBase,
            defaults=(
                defaults,
                Field(
                    None,
                    description="settings every environment inherits (deep-merged under each)",
                    json_schema_extra=_not_null,
                ),
            ),
            environments=(
                environments,
                Field(
                    None,
                    description="one entry per environment (1-20 lowercase letters or digits), over the defaults",
                    json_schema_extra=_environments_schema,
                ),
            ),
            delivery=(delivery, Field(None, description=DeliverySection.__doc__, json_schema_extra=_not_null)),
        )
        self.kinds: dict[str, type[BaseModel]] = kinds
        self.environment: type[EnvironmentSection] = environment
        self.document: type[_DocumentBase] = document


_MODELS_CACHE: dict[tuple[tuple[str, int], ...], Models] = {}


def models() -> Models:
    """The models of the catalogue as it is now (built once per state of it)."""
    key = tuple((name, id(kind)) for name, kind in CATALOG.items())
    if key not in _MODELS_CACHE:
        _MODELS_CACHE[key] = Models()
    return _MODELS_CACHE[key]
