"""FHIR R4 for intervention-rules: the assessment as a Questionnaire and QuestionnaireResponse,
the decision as a RequestGroup, and medication orders mapped to the rule set's vocabulary.

Building or checking a FHIR resource needs the ``fhir`` extra (``pip install
'intervention-rules[fhir]'``, for ``fhir.resources``); without it those functions raise
``MissingExtraError``. Importing this package needs nothing: its names load on first use.
The mapping is described in docs/integration.md ("The FHIR mapping").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import exports

if TYPE_CHECKING:
    from ._medications import (
        RXNORM,
        SNOMED,
        MedicationCode,
        MedicationCodes,
        MedicationCodesError,
        MedicineEntry,
        load_medication_codes,
    )
    from ._questionnaire import (
        CONTEXT_FEATURES,
        NONE_CODING,
        ORDER_FEATURE,
        answer_system,
        canonical,
        questionnaire,
        questionnaire_url,
    )
    from ._request_group import DIGEST_SYSTEM, INTERVENTION_SYSTEM, RULESET_SYSTEM, request_group
    from ._response import assessment_from_questionnaire_response, questionnaire_response_from_assessment

__getattr__ = exports(
    __name__,
    {
        "CONTEXT_FEATURES": "._questionnaire",
        "DIGEST_SYSTEM": "._request_group",
        "INTERVENTION_SYSTEM": "._request_group",
        "MedicationCode": "._medications",
        "MedicationCodes": "._medications",
        "MedicationCodesError": "._medications",
        "MedicineEntry": "._medications",
        "NONE_CODING": "._questionnaire",
        "ORDER_FEATURE": "._questionnaire",
        "RULESET_SYSTEM": "._request_group",
        "RXNORM": "._medications",
        "SNOMED": "._medications",
        "answer_system": "._questionnaire",
        "assessment_from_questionnaire_response": "._response",
        "canonical": "._questionnaire",
        "load_medication_codes": "._medications",
        "questionnaire": "._questionnaire",
        "questionnaire_response_from_assessment": "._response",
        "questionnaire_url": "._questionnaire",
        "request_group": "._request_group",
    },
)

__all__ = [
    "CONTEXT_FEATURES",
    "DIGEST_SYSTEM",
    "INTERVENTION_SYSTEM",
    "NONE_CODING",
    "ORDER_FEATURE",
    "RULESET_SYSTEM",
    "RXNORM",
    "SNOMED",
    "MedicationCode",
    "MedicationCodes",
    "MedicationCodesError",
    "MedicineEntry",
    "answer_system",
    "assessment_from_questionnaire_response",
    "canonical",
    "load_medication_codes",
    "questionnaire",
    "questionnaire_response_from_assessment",
    "questionnaire_url",
    "request_group",
]
