"""The record types, declared once. Field names follow the CBD clearing-house schemas
(see docs/data-formats.md) so documents exchange with the CBD's systems without loss."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

# Decisions and citations of their paragraphs: field kinds in records/decisions.py.
from clearinghouse.records.decisions import (
    MEETING_RE,
    NUMBER_RE,
    STATUSES,
    TREATIES,
    Choice,
    Paragraphs,
    Pattern,
    citations_field,
)
from clearinghouse.records.fields import (
    Alignment,
    AnyOf,
    Blocks,
    Bool,
    Date,
    DateOrder,
    LString,
    Number,
    RecordType,
    StringList,
    Term,
    Text,
)

COUNTRIES = "countries"
GBF_TARGETS = "gbf-targets"
SUBJECTS = "cbd-subjects"


def _title() -> LString:
    return LString("title", _("Title"), required=True)


def _targets(required: bool = False) -> Term:
    return Term(
        "gbfTargets", _("GBF targets"), required=required, scheme=GBF_TARGETS, multiple=True
    )


def _subjects(required: bool = False) -> Term:
    return Term("cbdSubjects", _("CBD subjects"), required=required, scheme=SUBJECTS, multiple=True)


def _countries(name: str = "countryRegions", label: Any = None) -> Term:
    return Term(name, label or _("Countries and regions"), scheme=COUNTRIES, multiple=True)


ORGANIZATION = RecordType(
    schema="organization",
    label=_("Organization"),
    plural=_("Organizations"),
    title_field="name",
    summary_field="profile",
    fields=[
        LString("name", _("Name"), required=True),
        Text("acronym", _("Acronym"), max_length=40),
        Term(
            "organizationType", _("Organization type"), required=True, scheme="organization-types"
        ),
        Text("address", _("Address"), max_length=500),
        Text("city", _("City"), required=True, max_length=200),
        Term("country", _("Country"), required=True, scheme=COUNTRIES),
        Text("phones", _("Phones"), required=True, max_length=200),
        StringList("emails", _("E-mail addresses"), required=True, kind="email"),
        StringList("websites", _("Websites"), kind="url"),
        _targets(),
        _subjects(),
        _countries("operationalRegions", _("Operational regions")),
        LString("profile", _("Profile"), multiline=True, max_words=500),
    ],
)

CONTACT = RecordType(
    schema="contact",
    label=_("Contact"),
    plural=_("Contacts"),
    title_field="lastName",
    title_parts=("firstName", "lastName"),
    workflow=False,
    fields=[
        Text("prefix", _("Prefix"), max_length=40),
        Text("firstName", _("First name"), required=True, max_length=200),
        Text("lastName", _("Last name"), required=True, max_length=200),
        LString("designation", _("Designation")),
        Text("organization", _("Organization"), required=True, max_length=400),
        Text("department", _("Department"), max_length=400),
        Term("country", _("Country"), required=True, scheme=COUNTRIES),
        Text("phones", _("Phones"), max_length=200),
        StringList("emails", _("E-mail addresses"), required=True, kind="email"),
        Term("type", _("Contact type"), required=True, scheme="contact-types"),
    ],
)

RESOURCE = RecordType(
    schema="resource",
    label=_("Library resource"),
    plural=_("Library resources"),
    summary_field="summary",
    fields=[
        _title(),
        Term(
            "resourceTypes",
            _("Resource types"),
            required=True,
            scheme="resource-types",
            multiple=True,
        ),
        Text("authors", _("Authors"), required=True, max_length=1000),
        Text("organizations", _("Organizations"), required=True, max_length=1000),
        Text("publisher", _("Publisher"), max_length=400),
        Date("publicationDate", _("Publication date"), required=True),
        Text("rights", _("Rights"), max_length=400),
        StringList("resourceLinks", _("Links to the resource"), required=True, kind="url"),
        LString("summary", _("Summary"), required=True, multiline=True, max_words=300),
        _countries(),
        _targets(),
        _subjects(required=True),
        Text("tags", _("Keywords"), max_length=500),
        citations_field(),
    ],
)

CAPACITY_BUILDING_INITIATIVE = RecordType(
    schema="capacityBuildingInitiative",
    label=_("Capacity-building initiative"),
    plural=_("Capacity-building initiatives"),
    summary_field="description",
    rules=[DateOrder("startDate", "endDate")],
    fields=[
        _title(),
        Text("projectNumber", _("Project number"), max_length=100),
        Text("contacts", _("Contacts"), required=True, max_length=1000),
        Term("geographicScope", _("Geographic scope"), required=True, scheme="geographic-scopes"),
        _countries(),
        Term("status", _("Status"), required=True, scheme="initiative-status"),
        Date("startDate", _("Start date"), required=True),
        Date("endDate", _("End date"), required=True),
        Text("implementingAgencies", _("Implementing agencies"), max_length=1000),
        Text("executingAgencies", _("Executing agencies"), max_length=1000),
        Text("collaboratingAgencies", _("Collaborating agencies"), max_length=1000),
        LString("description", _("Description"), multiline=True, max_words=150),
        Text("targetGroups", _("Target groups"), max_length=1000),
        _subjects(),
        _targets(),
        Text("fundingSourceTypes", _("Funding source types"), max_length=500),
        Text("coreFundingSources", _("Core funding sources"), max_length=1000),
        Text("coFinancingSources", _("Co-financing sources"), max_length=1000),
        Number("totalBudget", _("Total budget (USD)")),
        LString("resultsAndBestPractices", _("Results and best practices"), multiline=True),
        StringList("links", _("Links"), kind="url"),
        citations_field(),
    ],
)

EVENT = RecordType(
    schema="event",
    label=_("Event"),
    plural=_("Events"),
    summary_field="description",
    rules=[DateOrder("startDate", "endDate")],
    fields=[
        _title(),
        Term("eventType", _("Event type"), required=True, scheme="event-types"),
        Date("startDate", _("Start date"), required=True),
        Date("endDate", _("End date"), required=True),
        Text("city", _("City"), max_length=200),
        Term("country", _("Country"), scheme=COUNTRIES),
        Bool("online", _("Online")),
        LString("description", _("Description"), multiline=True, max_words=500),
        Text("organizers", _("Organizers"), max_length=1000),
        StringList("links", _("Links"), kind="url"),
        _targets(),
        _subjects(),
    ],
)

NATIONAL_TARGET = RecordType(
    schema="nationalTarget7",
    label=_("National target"),
    plural=_("National targets"),
    national=True,
    summary_field="description",
    fields=[
        _title(),
        LString("description", _("Description"), multiline=True),
        Alignment("globalTargetAlignment", _("Alignment with GBF targets"), required=True),
        LString("implementingConsiderations", _("Implementing considerations"), multiline=True),
        LString("nonStateActorCommitments", _("Non-state actor commitments"), multiline=True),
    ],
)

NBSAP = RecordType(
    schema="nbsap",
    label=_("NBSAP"),
    plural=_("NBSAPs"),
    national=True,
    summary_field="summary",
    rules=[DateOrder("startDate", "endDate")],
    fields=[
        _title(),
        LString("summary", _("Summary"), multiline=True),
        Term("jurisdiction", _("Jurisdiction"), required=True, scheme="jurisdictions"),
        Bool("isGbfAligned", _("Aligned with the GBF"), required=True),
        Date("startDate", _("Start date"), required=True),
        Date("endDate", _("End date"), required=True),
        Term("status", _("Status"), required=True, scheme="nbsap-status"),
        Date("adoptionDate", _("Adoption date")),
        Text("approvingBody", _("Approving body"), max_length=400),
        StringList("documentLinks", _("Documents"), required=True, kind="url"),
    ],
)

CASE_STUDY = RecordType(
    schema="caseStudy",
    label=_("Case study"),
    plural=_("Case studies"),
    summary_field="summary",
    fields=[
        _title(),
        LString("summary", _("Summary"), required=True, multiline=True, max_words=300),
        _countries(),
        LString("context", _("Context"), multiline=True),
        LString("challenges", _("Challenges"), multiline=True),
        LString("beneficiaries", _("Beneficiaries"), multiline=True),
        LString("impacts", _("Impacts"), multiline=True),
        Blocks("buildingBlocks", _("Building block")),
        _targets(),
        _subjects(),
        StringList("links", _("Links"), kind="url"),
    ],
)

NEWS = RecordType(
    schema="news",
    label=_("News"),
    plural=_("News"),
    summary_field="body",
    fields=[
        _title(),
        Date("date", _("Date"), required=True),
        LString("body", _("Text"), required=True, multiline=True),
        StringList("links", _("Links"), kind="url"),
        _targets(),
    ],
)

# --- technical and scientific cooperation (Bio-Bridge) ---------------------------------
ASSISTANCE_TYPES = "assistance-types"
BENEFICIARY_TYPES = "beneficiary-types"
LANGUAGES = "languages"
REGIONS = "regions"


def _assistance(required: bool = False) -> Term:
    return Term(
        "assistanceTypes",
        _("Types of assistance"),
        required=required,
        scheme=ASSISTANCE_TYPES,
        multiple=True,
    )


def _regions(name: str, label: Any) -> Term:
    return Term(name, label, scheme=REGIONS, multiple=True)


BBI_REQUEST = RecordType(
    schema="bbiRequest",
    label=_("Request for technical assistance"),
    plural=_("Requests for technical assistance"),
    summary_field="problem",
    rules=[DateOrder("startDate", "endDate")],
    fields=[
        _title(),
        LString("problem", _("Problem or need"), required=True, multiline=True, max_words=500),
        Term("country", _("Requesting country"), required=True, scheme=COUNTRIES),
        Text("contact", _("Contact"), max_length=1000),
        Text("organization", _("Requesting organization"), max_length=400),
        _countries("coverage", _("Geographic coverage")),
        Term("jurisdiction", _("Jurisdiction"), scheme="jurisdictions"),
        _assistance(required=True),
        Term(
            "workingLanguages",
            _("Working languages"),
            required=True,
            scheme=LANGUAGES,
            multiple=True,
        ),
        LString("addressedPriorities", _("National priorities addressed"), multiline=True),
        _subjects(),
        _targets(),
        LString("objectives", _("Objectives"), multiline=True),
        LString("potentialOutputs", _("Potential outputs"), multiline=True),
        LString("potentialOutcomes", _("Potential outcomes"), multiline=True),
        LString("indicators", _("Indicators"), multiline=True),
        Bool("coFinancingAvailable", _("Co-financing available")),
        LString("existingInitiatives", _("Existing initiatives"), multiline=True),
        Bool("sameRequestElsewhere", _("Same request sent elsewhere")),
        Date("startDate", _("Start date")),
        Date("endDate", _("End date")),
        Term(
            "beneficiaryTypes",
            _("Beneficiary types"),
            scheme=BENEFICIARY_TYPES,
            multiple=True,
        ),
        citations_field(),
    ],
)

BBI_PROFILE = RecordType(
    schema="bbiProfile",
    label=_("Provider of technical assistance"),
    plural=_("Providers of technical assistance"),
    summary_field="expertise",
    fields=[
        _title(),
        Text("contact", _("Contact"), max_length=1000),
        Text("organization", _("Organization"), required=True, max_length=400),
        Term("country", _("Country"), required=True, scheme=COUNTRIES),
        Term("organizationType", _("Organization type"), scheme="organization-types"),
        _countries("coverageArea", _("Countries covered")),
        _regions("coverageRegions", _("Regions covered")),
        _assistance(required=True),
        LString("expertise", _("Expertise"), required=True, multiline=True, max_words=500),
        Term(
            "operationalLanguages",
            _("Working languages"),
            required=True,
            scheme=LANGUAGES,
            multiple=True,
        ),
        Term(
            "beneficiaryTypes",
            _("Eligible beneficiaries"),
            help=_("Leave empty to serve every kind of beneficiary."),
            scheme=BENEFICIARY_TYPES,
            multiple=True,
        ),
        _subjects(),
        _targets(),
        LString("areasOfCollaboration", _("Areas of collaboration"), multiline=True),
        LString("recentExperience", _("Recent experience"), multiline=True),
        Number("capacity", _("Capacity (open assignments)"), integer=True),
        Number("completedAssignments", _("Completed assignments (track record)"), integer=True),
        StringList("emails", _("E-mail addresses"), kind="email"),
        StringList("links", _("Links"), kind="url"),
        StringList("documents", _("Documents"), kind="url"),
    ],
)

BBI_OPPORTUNITY = RecordType(
    schema="bbiOpportunity",
    label=_("Cooperation opportunity"),
    plural=_("Cooperation opportunities"),
    summary_field="description",
    rules=[DateOrder("startDate", "endDate")],
    fields=[
        _title(),
        LString("description", _("Description"), required=True, multiline=True, max_words=500),
        _countries("areasBenefited", _("Countries benefited")),
        _regions("regionsBenefited", _("Regions benefited")),
        _assistance(),
        Term(
            "primaryBeneficiaries",
            _("Primary beneficiaries"),
            scheme=BENEFICIARY_TYPES,
            multiple=True,
        ),
        LString("potentialOutcomes", _("Potential outcomes"), multiline=True),
        LString("eligibility", _("Eligibility"), multiline=True),
        LString("applicationProcess", _("Application process"), multiline=True),
        Date("startDate", _("Start date")),
        Date("endDate", _("End date")),
        Date("applicationDeadline", _("Application deadline")),
        Bool("active", _("Active")),
        _subjects(),
        _targets(),
        Text("organizations", _("Organizations"), max_length=1000),
    ],
)

FUNDING_OPPORTUNITY = RecordType(
    schema="fundingOpportunity",
    label=_("Funding opportunity"),
    plural=_("Funding opportunities"),
    summary_field="description",
    fields=[
        _title(),
        LString("description", _("Description"), required=True, multiline=True, max_words=500),
        Text("funder", _("Funder"), required=True, max_length=400),
        Term("fundingType", _("Type of funding"), required=True, scheme="funding-types"),
        Number("minAmount", _("Minimum amount (USD)")),
        Number("maxAmount", _("Maximum amount (USD)")),
        Number("budget", _("Total budget of the call (USD)")),
        _countries("eligibleCountries", _("Eligible countries")),
        _regions("eligibleRegions", _("Eligible regions")),
        Term(
            "eligibleOrganizationTypes",
            _("Eligible organization types"),
            scheme="organization-types",
            multiple=True,
        ),
        LString("eligibility", _("Eligibility"), multiline=True),
        Date("applicationDeadline", _("Application deadline"), required=True),
        Bool("active", _("Active")),
        StringList("links", _("Links"), required=True, kind="url"),
        _subjects(),
        _targets(),
    ],
)


DECISION = RecordType(
    schema="decision",
    label=_("Decision"),
    plural=_("Decisions"),
    summary_field="summary",
    fields=[
        _title(),
        Choice("treaty", _("Treaty"), required=True, max_length=10, choices=TREATIES),
        Pattern(
            "meetingCode",
            _("Meeting code"),
            required=True,
            max_length=40,
            pattern=MEETING_RE,
            example="COP-15",
        ),
        Text("meeting", _("Meeting"), max_length=400),
        Pattern(
            "number",
            _("Decision number"),
            required=True,
            max_length=20,
            pattern=NUMBER_RE,
            example="15/4",
        ),
        Date("date", _("Date of adoption"), required=True),
        Choice("status", _("Status"), required=True, max_length=40, choices=STATUSES),
        LString("summary", _("Summary"), multiline=True, max_words=300),
        LString("preamble", _("Preamble"), multiline=True),
        Paragraphs("paragraphs", _("Paragraphs"), required=True),
        _targets(),
        StringList("links", _("Documents"), kind="url"),
        Text(
            "akomaNtosoWork",
            _("Akoma Ntoso work URI"),
            help=_(
                "Set by the Akoma Ntoso import; derived from treaty, date and number when empty."
            ),
            max_length=300,
        ),
    ],
)


RECORD_TYPES: dict[str, RecordType] = {
    t.schema: t
    for t in [
        RESOURCE,
        CAPACITY_BUILDING_INITIATIVE,
        ORGANIZATION,
        CONTACT,
        EVENT,
        NATIONAL_TARGET,
        NBSAP,
        CASE_STUDY,
        NEWS,
        BBI_REQUEST,
        BBI_PROFILE,
        BBI_OPPORTUNITY,
        FUNDING_OPPORTUNITY,
        DECISION,
    ]
}


def get_type(schema: str) -> RecordType:
    try:
        return RECORD_TYPES[schema]
    except KeyError:
        raise LookupError(f"Unknown record type {schema!r}") from None


# Kept for readability of the declarations above.
__all__ = ["RECORD_TYPES", "AnyOf", "get_type"]
