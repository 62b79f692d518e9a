"""The risk part of the demo organization: an inventory with data flows, an approved risk analysis with its
register (mitigations, an acceptance, a transfer), a sanction policy, and one asset added after the approval so
the dashboard shows a re-analysis trigger at work. Written through the services, like the rest of the demo."""

from __future__ import annotations

from datetime import date, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile

from safeguard.core.audit import Actor
from safeguard.core.demo import demo_extension, tiny_pdf
from safeguard.core.models import Organization, User
from safeguard.risk.models import Asset, AssetKind, Threat, Transport, Treatment, VolumeBand, Vulnerability
from safeguard.risk.services.acceptances import acceptance_record
from safeguard.risk.services.actions import action_complete, action_create
from safeguard.risk.services.analyses import analysis_approve, analysis_start, analysis_submit
from safeguard.risk.services.assets import asset_create
from safeguard.risk.services.flows import flow_create
from safeguard.risk.services.library import library_seed
from safeguard.risk.services.risks import risk_create
from safeguard.risk.services.sanctions import sanction_log_review, sanction_policy_approve, sanction_policy_create
from safeguard.risk.services.treatment import risk_treat

# name, kind, hosting, volume band, business associate
ASSETS = (
    ("EHR (cloud)", AssetKind.CLOUD_SERVICE, "Vendor cloud, US-East", VolumeBand.UNDER_100K, "Acme EHR Inc."),
    ("Practice management", AssetKind.APPLICATION, "Front-desk server", VolumeBand.UNDER_100K, ""),
    ("Front-desk server", AssetKind.SERVER, "Server closet, suite 200", VolumeBand.UNDER_100K, ""),
    ("Clinical workstations", AssetKind.ENDPOINT, "Exam rooms 1–6", VolumeBand.NONE, ""),
    ("Provider laptops", AssetKind.ENDPOINT, "Carried off site", VolumeBand.UNDER_500, ""),
    ("Backup NAS", AssetKind.STORAGE, "Server closet, suite 200", VolumeBand.UNDER_100K, ""),
    ("Office network and firewall", AssetKind.NETWORK, "Suite 200", VolumeBand.NONE, ""),
    ("Lab interface", AssetKind.APPLICATION, "Front-desk server", VolumeBand.UNDER_10K, "Regional Labs LLC"),
    ("Fax server", AssetKind.SERVER, "Server closet, suite 200", VolumeBand.UNDER_10K, ""),
    ("Paper chart room", AssetKind.PHYSICAL, "Suite 200, locked room", VolumeBand.UNDER_10K, ""),
)
# source, destination, ePHI, transport, encrypted
FLOWS = (
    ("Clinical workstations", "EHR (cloud)", "Visit notes and orders", Transport.TLS, True),
    ("EHR (cloud)", "Lab interface", "Lab orders", Transport.HL7, True),
    ("Lab interface", "EHR (cloud)", "Lab results", Transport.HL7, True),
    ("Practice management", "EHR (cloud)", "Demographics and schedules", Transport.TLS, True),
    ("Front-desk server", "Backup NAS", "Nightly backups", Transport.DATABASE, True),
    ("Fax server", "Practice management", "Referrals and records requests", Transport.FAX, False),
    ("Provider laptops", "EHR (cloud)", "Remote charting", Transport.VPN, True),
)
SANCTION_POLICY = """\
Workforce members who fail to comply with our security policies and procedures are sanctioned in proportion to
the violation, its intent and its harm: coaching, a written warning, retraining, suspension, or termination.
The security official and the privacy officer decide, record every sanction in the sanctions log, and keep the
record for six years.
"""


@demo_extension
def risk_demo(organization: Organization, people: dict[str, User], today: date) -> None:
    official = Actor(user=people["official"])
    assets = {
        name: asset_create(
            organization=organization,
            actor=official,
            name=name,
            kind=kind,
            hosting=hosting,
            volume_band=volume,
            business_associate=operator,
            owner=people["official"],
        )
        for name, kind, hosting, volume, operator in ASSETS
    }
    for source, destination, ephi, transport, encrypted in FLOWS:
        flow_create(
            organization=organization,
            actor=official,
            source=assets[source],
            destination=assets[destination],
            ephi=ephi,
            transport=transport,
            encrypted_in_transit=encrypted,
        )
    library_seed(organization=organization, actor=official)
    _analysis(organization, official, people, assets, today)
    _sanction_policy(organization, official)
    # Entered service after the approval: the analysis is flagged for update (164.308(a)(1)(ii)(A) partially met).
    asset_create(
        organization=organization,
        actor=official,
        name="Telehealth app",
        kind=AssetKind.CLOUD_SERVICE,
        hosting="Vendor cloud",
        volume_band=VolumeBand.UNDER_10K,
        business_associate="VisitNow Health",
        owner=people["official"],
    )


def _library(organization: Organization, threat: str, vulnerability: str) -> tuple[Threat | None, Vulnerability | None]:
    return (
        Threat.objects.filter(organization=organization, name__icontains=threat).first(),
        Vulnerability.objects.filter(organization=organization, name__icontains=vulnerability).first(),
    )


def _analysis(
    organization: Organization, official: Actor, people: dict[str, User], assets: dict[str, Asset], today: date
) -> None:
    analysis = analysis_start(organization=organization, actor=official, title=f"Security risk analysis {today.year}")
    # title, assets, threat/vulnerability keywords, controls, (L, I), planned, residual (L, I), citations
    specs: tuple[tuple[str, list[str], tuple[str, str], str, tuple[int, int], str, tuple[int, int], list[str]], ...] = (
        (
            "Ransomware encrypts the front-desk server and backups",
            ["Front-desk server", "Backup NAS"],
            ("ransomware", "backup"),
            "Antivirus; nightly backups to the NAS",
            (4, 5),
            "Offline, immutable backup copy; quarterly restore tests",
            (2, 4),
            ["164.308(a)(7)(ii)(A)"],
        ),
        (
            "A provider laptop is lost with ePHI on it",
            ["Provider laptops"],
            ("lost", "encryption"),
            "Screen lock after 5 minutes",
            (3, 4),
            "Full-disk encryption on every laptop",
            (3, 1),
            ["164.312(a)(2)(iv)"],
        ),
        (
            "Faxed referrals reach the wrong recipient",
            ["Fax server"],
            ("misdirected", "train"),
            "Cover sheet with confidentiality notice",
            (2, 3),
            "",
            (2, 3),
            ["164.308(a)(5)(ii)(A)"],
        ),
        (
            "The EHR vendor suffers a breach",
            ["EHR (cloud)"],
            ("vendor", "agreement"),
            "Business associate agreement on file",
            (2, 5),
            "Cyber insurance; vendor security review",
            (2, 4),
            ["164.308(b)(1)"],
        ),
        (
            "Paper charts are seen by visitors",
            ["Paper chart room"],
            ("snoop", "lock"),
            "Room locked after hours",
            (1, 2),
            "",
            (1, 2),
            [],
        ),
    )
    risks = []
    for title, names, (threat_word, vuln_word), controls, (lik, imp), planned, (rlik, rimp), citations in specs:
        threat, vulnerability = _library(organization, threat_word, vuln_word)
        risks.append(
            risk_create(
                organization=organization,
                actor=official,
                analysis=analysis,
                title=title,
                assets=[assets[name] for name in names],
                threat=threat,
                vulnerability=vulnerability,
                existing_controls=controls,
                likelihood=lik,
                impact=imp,
                planned_controls=planned,
                residual_likelihood=rlik,
                residual_impact=rimp,
                requirements=citations,
                owner=people["official"],
            )
        )
    analysis_submit(organization=organization, actor=official, analysis=analysis)
    analysis_approve(
        organization=organization,
        actor=official,
        analysis=analysis,
        statement="I approve this risk analysis as an accurate and thorough assessment of our ePHI risks.",
    )
    ransomware, laptop, fax, vendor, _paper = risks
    for risk, treatment in (
        (ransomware, Treatment.MITIGATE),
        (laptop, Treatment.MITIGATE),
        (vendor, Treatment.TRANSFER),
    ):
        risk_treat(organization=organization, actor=official, risk=risk, treatment=treatment, owner=people["official"])
    backup = action_create(
        organization=organization,
        actor=official,
        risk=ransomware,
        title="Add an offline backup copy",
        owner=people["official"],
        due_on=today + timedelta(days=45),
        acceptance_criteria="A weekly offline copy exists and a restore from it was tested.",
    )
    encryption = action_create(
        organization=organization,
        actor=official,
        risk=laptop,
        title="Encrypt every provider laptop",
        owner=people["nurse"],
        due_on=today + timedelta(days=14),
        acceptance_criteria="The device report shows full-disk encryption on all laptops.",
    )
    action_complete(
        organization=organization,
        actor=official,
        action=encryption,
        note="All six laptops report encryption on.",
        evidence_file=SimpleUploadedFile(
            "laptop-encryption-report.pdf",
            tiny_pdf(["Device encryption report: 6 of 6 laptops encrypted."]),
            content_type="application/pdf",
        ),
    )
    del backup  # stays open: the register shows an action in progress
    acceptance_record(
        organization=organization,
        actor=official,
        risk=fax,
        rationale="Fax volume is falling; replacing the fax line is planned with the new referral portal.",
        expires_on=today + timedelta(days=180),
    )


def _sanction_policy(organization: Organization, official: Actor) -> None:
    policy = sanction_policy_create(organization=organization, actor=official, body=SANCTION_POLICY)
    sanction_policy_approve(
        organization=organization, actor=official, policy=policy, statement="Approved for the workforce."
    )
    sanction_log_review(
        organization=organization, actor=official, statement="Log reviewed for the past year: no sanctions applied."
    )
