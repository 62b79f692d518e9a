"""Certificates: a one-page PDF per completion with the facts it certifies and their SHA-256, rendered on request,
reachable by the person it names and by program viewers, and by no one else (404)."""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any

import pytest
from weasyprint import HTML

from safeguard.core.roles import Role
from safeguard.training.certificates import (
    certificate_facts,
    certificate_html,
    certificate_pdf,
    facts_sha256,
    url_fetcher,
)
from safeguard.training.models import Completion, TrainingSettings
from tests import training_factories as make
from tests.conftest import Cast, client_for, make_member
from tests.test_training_completions_support import learner, moment


@pytest.fixture
def completion(cast: Cast) -> Completion:
    me = learner(cast)
    course = make.course(cast.org, "SEC-1", title="Phishing basics", version=3)
    return make.completion(me, course, at=moment("2026-02-20 10:15"), score=90, course_version=3)


def url(completion: Completion, slug: str = "clinic") -> str:
    return f"/o/{slug}/training/completions/{completion.public_id}/certificate.pdf"


def laid_out_text(html: str) -> list[str]:
    """Every page's text as WeasyPrint lays it out."""
    texts = []
    for page in HTML(string=html, url_fetcher=url_fetcher()).render().pages:
        words: list[str] = []
        boxes: list[Any] = [page._page_box]
        while boxes:
            box = boxes.pop()
            if getattr(box, "text", None):
                words.append(box.text)
            boxes.extend(getattr(box, "children", None) or [])
        texts.append(" ".join(words))
    return texts


def test_the_facts_and_their_digest(completion: Completion) -> None:
    facts = certificate_facts(completion)

    assert facts == {
        "organization": "Riverside Clinic",
        "person": "Nora Nurse",
        "employee_id": "E-1",
        "course": "Phishing basics",
        "course_code": "SEC-1",
        "course_version": 3,
        "completed_on": "2026-02-20",
        "score": 90,
        "source": "Recorded by hand",
        "completion_id": str(completion.public_id),
    }
    canonical = json.dumps(facts, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    assert facts_sha256(facts) == hashlib.sha256(canonical).hexdigest()


def test_the_certificate_is_one_page_with_every_fact_and_the_signatory(cast: Cast, completion: Completion) -> None:
    TrainingSettings.objects.create(organization=cast.org, certificate_signatory="Sam Official, Security Official")

    pages = laid_out_text(certificate_html(completion))

    assert len(pages) == 1
    text = pages[0]
    for expected in ("Riverside Clinic", "Nora Nurse", "Phishing basics", "SEC-1, version 3", "2026-02-20", "90%",
                     str(completion.public_id), facts_sha256(certificate_facts(completion)),
                     "Sam Official, Security Official"):  # fmt: skip
        assert expected in text, expected


def test_record_text_is_escaped(cast: Cast) -> None:
    me = make.person(cast.org, "E-9", name="<b>Bold</b> Name")
    done = make.completion(me, make.course(cast.org, "SEC-1"))

    html = certificate_html(done)

    assert "<b>Bold</b>" not in html and "&lt;b&gt;Bold&lt;/b&gt;" in html


def test_rendering_takes_well_under_a_second_or_two(completion: Completion) -> None:
    certificate_pdf(completion)  # the first render loads fonts
    started = time.perf_counter()
    pdf = certificate_pdf(completion)
    elapsed = time.perf_counter() - started

    assert pdf.startswith(b"%PDF-")
    assert elapsed < 2.0, f"{elapsed:.3f}s"


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("me", 200),
        ("owner", 200),
        ("auditor", 200),
        ("manager", 200),
        ("colleague", 404),  # another workforce member, on the roster
        ("stranger", 404),  # a workforce member not on the roster
        ("outsider", 404),
        ("anonymous", 302),
    ],
)
def test_who_may_download_a_certificate(cast: Cast, completion: Completion, who: str, expected: int) -> None:
    users = {
        "me": cast.workforce,
        "owner": cast.owner,
        "auditor": cast.auditor,
        "outsider": cast.outsider,
        "anonymous": None,
    }
    if who == "manager":
        users[who] = make_member(cast.org, "manager@clinic.test", Role.MANAGER).user
    if who in ("colleague", "stranger"):
        users[who] = make_member(cast.org, f"{who}@clinic.test", Role.WORKFORCE).user
        if who == "colleague":
            make.person(cast.org, "E-2", email="colleague@clinic.test")

    response = client_for(users[who]).get(url(completion))

    assert response.status_code == expected
    if expected == 200:
        assert response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF-")
        assert 'filename="certificate-SEC-1-E-1-2026-02-20.pdf"' in response["Content-Disposition"]
        assert response["Cache-Control"] == "private, no-store"


def test_another_organizations_certificate_is_not_found(cast: Cast) -> None:
    theirs = make.completion(make.person(cast.other_org, "X-1"), make.course(cast.other_org, "SEC-1"))

    assert client_for(cast.owner).get(url(theirs)).status_code == 404
    assert client_for(cast.outsider).get(url(theirs, "other")).status_code == 200
