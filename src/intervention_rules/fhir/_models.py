"""FHIR R4B models from ``fhir.resources``, loaded only when a function needs them.

``intervention_rules.fhir`` imports without the ``fhir`` extra (the command line registers its
subcommand at start); the first call that needs the models raises
:class:`~intervention_rules.errors.MissingExtraError`, which names the extra to install.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._extras import require
from ..errors import AssessmentError, AssessmentProblem

__all__ = ["INVALID_FHIR", "model", "problems_of", "validate"]

INVALID_FHIR = "IR601"

_FRIENDLY = {
    "extra_forbidden": "is not an element of this resource",
    "missing": "is required",
    "model_field_validation.missing": "is required",
}


def model(resource_type: str) -> Any:
    """The fhir.resources R4B model class of a resource type."""
    return require("fhir", "fhir.resources.R4B").get_fhir_model_class(resource_type)


def problems_of(resource: Mapping[str, Any], resource_type: str) -> list[AssessmentProblem]:
    """What makes a resource invalid as FHIR R4B, by element path; never the values it holds."""
    resource_model = model(resource_type)  # first: without the extra, say which extra to install
    from pydantic import ValidationError  # fhir.resources' own dependency

    if not isinstance(resource, Mapping):
        return [
            AssessmentProblem(
                resource_type, f"expected a {resource_type} resource (a JSON object)", code=INVALID_FHIR
            )
        ]
    if resource.get("resourceType") != resource_type:
        return [
            AssessmentProblem(
                f"{resource_type}.resourceType", f"expected '{resource_type}'", code=INVALID_FHIR
            )
        ]
    try:
        resource_model.model_validate(dict(resource))
    except ValidationError as error:
        out = []
        for item in error.errors(include_input=False, include_url=False):
            path = ""
            for part in item["loc"]:
                if isinstance(part, int):
                    path += f"[{part}]"
                elif not part.startswith("function-"):  # pydantic's name for a validator step
                    path += f".{part}" if path else part
            kind = str(item["type"])
            message = _FRIENDLY.get(kind, f"is not valid FHIR ({kind})")
            field = f"{resource_type}.{path}" if path else resource_type
            out.append(AssessmentProblem(field, message, code=INVALID_FHIR))
        return out or [AssessmentProblem(resource_type, "is not valid FHIR", code=INVALID_FHIR)]
    return []


def validate(resource: Mapping[str, Any], resource_type: str) -> None:
    """Raise AssessmentError when a resource is not valid FHIR R4B."""
    problems = problems_of(resource, resource_type)
    if problems:
        raise AssessmentError(problems)
