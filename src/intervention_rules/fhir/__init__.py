"""FHIR R4 for intervention-rules: the assessment as a Questionnaire and QuestionnaireResponse,
the decision as a RequestGroup, and medication orders mapped to the rule set's vocabulary.

Needs the ``fhir`` extra (``pip install 'intervention-rules[fhir]'``, for ``fhir.resources``)
for everything that builds or checks a FHIR resource; importing this package does not.
The mapping is described in docs/integration.md ("The FHIR mapping").
"""

from ._medications import (
    RXNORM,
    SNOMED,
    MedicationCode,
    MedicationCodes,
    MedicationCodesError,
    MedicineEntry,
    load_medication_codes,
)
from ._models import EXTRA_HINT, FhirExtraMissing
from ._questionnaire import NONE_CODING, answer_system, canonical, questionnaire, questionnaire_url
from ._request_group import DIGEST_SYSTEM, INTERVENTION_SYSTEM, RULESET_SYSTEM, request_group
from ._response import assessment_from_questionnaire_response, questionnaire_response_from_assessment

__all__ = [
    "DIGEST_SYSTEM",
    "EXTRA_HINT",
    "INTERVENTION_SYSTEM",
    "NONE_CODING",
    "RULESET_SYSTEM",
    "RXNORM",
    "SNOMED",
    "FhirExtraMissing",
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
