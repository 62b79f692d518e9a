"""Certificates: a one-page PDF per completion with the facts it certifies and its verification code, rendered on
request, reachable by the person it names and by program viewers, and by no one else (404); the code itself: what
it signs, what it refuses (forged, altered, cut short, another organization's)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pytest
from weasyprint import HTML

from safeguard.core.roles import Role
from safeguard.training.certificate_codes import certificate_check, certificate_code, read_code
from safeguard.training.certificates import certificate_facts, certificate_html, certificate_pdf, url_fetcher
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


def test_the_facts_printed(completion: Completion) -> None:
    assert certificate_facts(completion) == {
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


def test_the_code_signs_the_stable_facts_in_utc(completion: Completion) -> None:
    facts = read_code(completion.organization, certificate_code(completion))

    assert facts == {
        "completion_id": str(completion.public_id),
        "employee_id": "E-1",
        "course_code": "SEC-1",
        "course_version": 3,
        "completed_at": completion.completed_at.astimezone(UTC).isoformat(),
        "score": 90,
    }
    assert datetime.fromisoformat(facts["completed_at"]) == completion.completed_at


def test_the_code_is_the_same_every_time_and_ignores_names(completion: Completion) -> None:
    first = certificate_code(completion)
    completion.person.given_name = "Nell"
    completion.person.save(update_fields=["given_name"])
    completion.course.title = "Phishing, revisited"
    completion.course.save(update_fields=["title"])
    completion.refresh_from_db()

    assert certificate_code(completion) == first


def test_a_valid_code_matching_its_record(completion: Completion) -> None:
    check = certificate_check(completion.organization, certificate_code(completion))

    assert (check.valid, check.on_record, check.matches_record, check.differences) == (True, True, True, [])
    assert check.completion == completion


def test_a_code_copied_with_line_breaks_and_spaces_is_still_valid(completion: Completion) -> None:
    code = certificate_code(completion)
    wrapped = f"  {code[:60]}\n{code[60:120]} \r\n{code[120:]}\n"

    assert certificate_check(completion.organization, wrapped).valid


def test_the_record_changed_since_is_named(completion: Completion) -> None:
    code = certificate_code(completion)
    completion.person.employee_id = "E-1001"
    completion.person.save(update_fields=["employee_id"])

    check = certificate_check(completion.organization, code)

    assert (check.valid, check.matches_record, check.differences) == (True, False, ["employee_id"])
    assert check.facts is not None and check.facts["employee_id"] == "E-1"


def flip(text: str, index: int) -> str:
    return text[:index] + ("A" if text[index] != "A" else "B") + text[index + 1 :]


def test_forged_altered_and_cut_codes_are_not_valid(cast: Cast, completion: Completion) -> None:
    code = certificate_code(completion)
    payload, signature = code.rsplit(":", 1)

    for bad in (
        flip(code, 5),  # a fact changed
        flip(code, len(code) - 3),  # the signature changed
        code[:-1],  # cut short
        payload,  # no signature at all
        f"{payload}:{'x' * len(signature)}",
        "3b4c9d0e" * 8,  # what a bare SHA-256 looks like
        "",
        "   ",
        "x" * 5000,
    ):
        check = certificate_check(cast.org, bad)
        assert (check.valid, check.facts, check.completion) == (False, None, None), bad


def test_another_organizations_code_is_not_valid_here(cast: Cast) -> None:
    theirs = make.completion(make.person(cast.other_org, "E-1"), make.course(cast.other_org, "SEC-1"))
    code = certificate_code(theirs)

    assert certificate_check(cast.other_org, code).valid
    assert not certificate_check(cast.org, code).valid


def test_the_certificate_is_one_page_with_every_fact_and_the_signatory(cast: Cast, completion: Completion) -> None:
    TrainingSettings.objects.create(organization=cast.org, certificate_signatory="Sam Official, Security Official")

    pages = laid_out_text(certificate_html(completion))

    assert len(pages) == 1
    text = pages[0]
    for expected in ("Riverside Clinic", "Nora Nurse", "Phishing basics", "SEC-1, version 3", "2026-02-20", "90%",
                     str(completion.public_id), "Sam Official, Security Official",
                     "/o/clinic/training/certificates/verify/"):  # fmt: skip
        assert expected in text, expected
    code = certificate_code(completion)
    # The whole code is in the page that is laid out; the layout wraps it over lines, breaking it at a hyphen or an
    # underscore as well as at the edge and giving its lines in no reading order, so the laid-out text shows long
    # pieces of it on the page and the HTML its every character.
    assert code in certificate_html(completion)
    assert sum(len(word) for word in text.split() if len(word) > 20 and word in code) > len(code) // 2


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
