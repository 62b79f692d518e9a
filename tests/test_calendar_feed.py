"""The personal iCalendar feed, its secret token (and the MFA rule it carries), and the subscription page."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar
from pytest_django.fixtures import Settings as SettingsWrapper

from safeguard.core.audit import Actor
from safeguard.core.models import AuditEvent, Membership, Obligation, User
from safeguard.core.models.obligations import Cadence
from safeguard.core.roles import Role
from safeguard.core.services.calendar import calendar_token_rotate
from tests.conftest import Cast, client_for
from tests.test_auth_support import enroll

TODAY = timezone.localdate()


def feed(token: str) -> str:
    return reverse("calendar_feed", args=[token])


def duty(cast: Cast, owner: User, **values: object) -> Obligation:
    fields: dict[str, object] = {
        "organization": cast.org,
        "title": "Security awareness training",
        "owner": owner,
        "due_on": date(2030, 4, 15),
        "cadence": Cadence.ANNUAL,
        **values,
    }
    return Obligation.objects.create(**fields)


def rotate(user: User, *, verified: bool = False) -> str:
    return calendar_token_rotate(user=user, actor=Actor(user=user), mfa_verified=verified)


def events(body: bytes) -> dict[str, dict[str, object]]:
    calendar = Calendar.from_ical(body)
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


# --- token ------------------------------------------------------------------------------------------------------


def test_rotating_sets_a_long_new_token_and_audits_without_the_secret(cast: Cast) -> None:
    first = rotate(cast.workforce)
    second = rotate(cast.workforce)

    cast.workforce.refresh_from_db()
    assert len(first) >= 40 and len(second) >= 40
    assert first != second
    assert cast.workforce.calendar_token == second
    rotations = AuditEvent.objects.filter(action="calendar.token_rotated").order_by("sequence")
    assert [e.organization for e in rotations] == [None, None]
    assert [e.changes for e in rotations] == [
        {"calendar_token": [None, "(new)"], "calendar_token_mfa_verified": [None, False]},
        {"calendar_token": ["(set)", "(new)"], "calendar_token_mfa_verified": [False, False]},
    ]
    assert all(first not in str(e.changes) and second not in str(e.changes) for e in rotations)


# --- feed -------------------------------------------------------------------------------------------------------


def test_feed_lists_the_users_open_obligations_across_organizations(cast: Cast, settings: SettingsWrapper) -> None:
    settings.SITE_URL = "https://safeguard.example.org"
    Membership.objects.create(organization=cast.other_org, user=cast.workforce, role=Role.WORKFORCE)
    mine = duty(cast, cast.workforce, citation="164.308(a)(5)(i)")
    elsewhere = duty(cast, cast.workforce, organization=cast.other_org, title="Badge audit", cadence=Cadence.QUARTERLY)
    once = duty(cast, cast.workforce, title="Sign policy", cadence=Cadence.ONCE, due_on=date(2030, 5, 2))
    duty(cast, cast.workforce, title="Done already", status=Obligation.Status.DONE)
    duty(cast, cast.workforce, title="Dropped", status=Obligation.Status.CANCELLED)
    duty(cast, cast.official, title="Someone else's")
    token = rotate(cast.workforce)

    response = client_for(None).get(feed(token))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    found = events(response.content)
    assert set(found) == {f"{o.public_id}@safeguard" for o in (mine, elsewhere, once)}

    annual = found[f"{mine.public_id}@safeguard"]
    assert str(annual["SUMMARY"]) == "Security awareness training (Riverside Clinic)"
    description = str(annual["DESCRIPTION"])
    assert "164.308(a)(5)(i)" in description
    detail = reverse("core:obligation_detail", args=["clinic", mine.public_id])
    assert f"https://safeguard.example.org{detail}" in description
    start = annual["DTSTART"].dt  # type: ignore[attr-defined]
    assert start == date(2030, 4, 15) and type(start) is date  # all-day
    assert annual["DTEND"].dt == date(2030, 4, 16)  # type: ignore[attr-defined]
    assert annual["RRULE"]["FREQ"] == ["YEARLY"]  # type: ignore[index]

    quarterly = found[f"{elsewhere.public_id}@safeguard"]
    assert str(quarterly["SUMMARY"]) == "Badge audit (Other Practice)"
    assert quarterly["RRULE"]["FREQ"] == ["MONTHLY"] and quarterly["RRULE"]["INTERVAL"] == [3]  # type: ignore[index]
    assert "RRULE" not in found[f"{once.public_id}@safeguard"]


def test_rotating_records_whether_the_session_passed_mfa(cast: Cast) -> None:
    rotate(cast.workforce, verified=True)
    rotate(cast.workforce, verified=False)

    cast.workforce.refresh_from_db()
    assert cast.workforce.calendar_token_mfa_verified is False
    rotations = AuditEvent.objects.filter(action="calendar.token_rotated").order_by("sequence")
    assert [e.changes["calendar_token_mfa_verified"] for e in rotations] == [[None, True], [True, False]]


def mfa_org_duties(cast: Cast) -> tuple[Obligation, Obligation]:
    """The workforce member owns a duty in the clinic (no MFA) and one in the other org, which requires MFA."""
    cast.other_org.mfa_required = True
    cast.other_org.save(update_fields=["mfa_required"])
    Membership.objects.create(organization=cast.other_org, user=cast.workforce, role=Role.WORKFORCE)
    plain = duty(cast, cast.workforce)
    guarded = duty(cast, cast.workforce, organization=cast.other_org, title="Badge audit")
    return plain, guarded


def test_feed_made_without_mfa_leaves_out_organizations_that_require_it(cast: Cast) -> None:
    plain, _ = mfa_org_duties(cast)
    token = rotate(cast.workforce, verified=False)

    response = client_for(None).get(feed(token))

    assert response.status_code == 200
    assert set(events(response.content)) == {f"{plain.public_id}@safeguard"}
    assert b"Badge audit" not in response.content


def test_feed_made_with_mfa_includes_organizations_that_require_it(cast: Cast) -> None:
    plain, guarded = mfa_org_duties(cast)
    token = rotate(cast.workforce, verified=True)

    found = events(client_for(None).get(feed(token)).content)

    assert set(found) == {f"{o.public_id}@safeguard" for o in (plain, guarded)}


def test_feed_made_without_mfa_drops_an_organization_once_it_requires_mfa(cast: Cast) -> None:
    mine = duty(cast, cast.workforce)
    token = rotate(cast.workforce, verified=False)
    assert set(events(client_for(None).get(feed(token)).content)) == {f"{mine.public_id}@safeguard"}

    cast.org.mfa_required = True
    cast.org.save(update_fields=["mfa_required"])

    assert events(client_for(None).get(feed(token)).content) == {}


def test_feed_leaves_out_organizations_the_user_no_longer_belongs_to(cast: Cast) -> None:
    duty(cast, cast.workforce)
    token = rotate(cast.workforce)
    Membership.objects.filter(user=cast.workforce).update(is_active=False)

    response = client_for(None).get(feed(token))

    assert response.status_code == 200
    assert events(response.content) == {}


def test_feed_carries_a_reminder_alarm(cast: Cast) -> None:
    duty(cast, cast.workforce, remind_days_before=7)
    token = rotate(cast.workforce)

    body = client_for(None).get(feed(token)).content

    (event,) = events(body).values()
    (alarm,) = event.walk("VALARM")  # type: ignore[attr-defined]
    assert alarm["TRIGGER"].dt == -timedelta(days=7)


@pytest.mark.parametrize("token", ["nope", "x" * 43, "a" * 39])
def test_unknown_tokens_get_404(cast: Cast, token: str) -> None:
    rotate(cast.workforce)

    assert client_for(None).get(feed(token)).status_code == 404


def test_users_without_a_token_cannot_be_reached_with_an_empty_one(cast: Cast) -> None:
    duty(cast, cast.workforce)

    assert client_for(None).get("/calendar/.ics").status_code == 404
    assert client_for(None).get(feed(" ")).status_code == 404


def test_an_old_token_stops_working_after_rotation(cast: Cast) -> None:
    old = rotate(cast.workforce)
    new = rotate(cast.workforce)

    assert client_for(None).get(feed(old)).status_code == 404
    assert client_for(None).get(feed(new)).status_code == 200


def test_a_deactivated_users_feed_is_gone(cast: Cast) -> None:
    token = rotate(cast.workforce)
    User.objects.filter(pk=cast.workforce.pk).update(is_active=False)

    assert client_for(None).get(feed(token)).status_code == 404


# --- subscription page ------------------------------------------------------------------------------------------


def settings_url(org: str = "clinic") -> str:
    return reverse("core:calendar_settings", args=[org])


def test_page_offers_to_create_an_address_when_there_is_none(cast: Cast) -> None:
    response = client_for(cast.workforce).get(settings_url())

    assert response.status_code == 200
    assert response.context["feed_url"] == ""
    assert "Create my calendar address" in response.content.decode()


def test_posting_creates_the_address_and_the_page_shows_it(cast: Cast, settings: SettingsWrapper) -> None:
    settings.SITE_URL = "https://safeguard.example.org/"
    client = client_for(cast.workforce)

    response = client.post(settings_url())

    assert response.status_code == 302
    cast.workforce.refresh_from_db()
    token = cast.workforce.calendar_token
    page = client.get(settings_url()).content.decode()
    assert f"https://safeguard.example.org/calendar/{token}.ics" in page
    event = AuditEvent.objects.get(action="calendar.token_rotated")
    assert event.actor == cast.workforce and event.organization is None


def test_page_says_the_address_leaves_out_mfa_organizations_and_how_to_fix_it(cast: Cast) -> None:
    mfa_org_duties(cast)
    client = client_for(cast.workforce)  # signed in, not verified: only the clinic's pages open

    assert client.post(settings_url()).status_code == 302
    cast.workforce.refresh_from_db()
    assert cast.workforce.calendar_token_mfa_verified is False
    response = client.get(settings_url())

    assert response.status_code == 200
    assert response.context["event_count"] == 1
    assert [o.slug for o in response.context["excluded"]] == ["other"]
    page = response.content.decode()
    assert "leaves out the obligations of <strong>Other Practice</strong>" in page
    verify = f"{reverse('mfa_verify')}?next={settings_url().replace('/', '%2F')}"
    assert f'href="{verify}"' in page


def test_page_warns_before_the_first_address_is_made_without_mfa(cast: Cast) -> None:
    mfa_org_duties(cast)

    response = client_for(cast.workforce).get(settings_url())

    assert [o.slug for o in response.context["new_would_exclude"]] == ["other"]
    assert "an address made now would leave out the obligations of <strong>Other Practice</strong>" in (
        response.content.decode()
    )


def test_a_verified_session_makes_an_address_that_includes_mfa_organizations(cast: Cast) -> None:
    plain, guarded = mfa_org_duties(cast)
    rotate(cast.workforce, verified=False)
    client, _, _ = enroll(cast.workforce)  # enrolling verifies the session

    before = client.get(settings_url())
    assert "This session is verified: make a new address below to include them." in before.content.decode()
    assert client.post(settings_url()).status_code == 302

    cast.workforce.refresh_from_db()
    assert cast.workforce.calendar_token_mfa_verified is True
    after = client.get(settings_url())
    assert after.context["excluded"] == [] and after.context["event_count"] == 2
    assert 'id="mfa-excluded"' not in after.content.decode()
    found = events(client_for(None).get(feed(cast.workforce.calendar_token)).content)
    assert set(found) == {f"{o.public_id}@safeguard" for o in (plain, guarded)}


def test_page_has_no_mfa_notice_when_no_organization_requires_mfa(cast: Cast) -> None:
    client = client_for(cast.workforce)
    client.post(settings_url())

    response = client.get(settings_url())

    assert response.context["excluded"] == [] and response.context["new_would_exclude"] == []
    assert 'id="mfa-excluded"' not in response.content.decode()


@pytest.mark.parametrize(
    ("who", "get_status", "post_status"),
    [
        ("owner", 200, 302),
        ("workforce", 200, 302),
        ("auditor", 200, 302),
        ("outsider", 404, 404),
        (None, 302, 302),
    ],
)
def test_matrix_calendar_settings(cast: Cast, who: str | None, get_status: int, post_status: int) -> None:
    user = getattr(cast, who) if who else None
    client = client_for(user)

    assert client.get(settings_url()).status_code == get_status
    response = client.post(settings_url())

    assert response.status_code == post_status
    rotated = AuditEvent.objects.filter(action="calendar.token_rotated")
    if who in ("owner", "workforce", "auditor"):
        assert response["Location"] == settings_url()
        assert rotated.count() == 1
    else:
        if who is None:
            assert response["Location"].startswith(reverse("login"))
        assert not rotated.exists()
        assert not User.objects.exclude(calendar_token="").exists()


@pytest.mark.parametrize("due_on", [date(9999, 12, 31), date(9999, 12, 30), date(1, 1, 1)])
def test_the_feed_serves_any_stored_due_date(cast: Cast, due_on: date) -> None:
    obligation = duty(cast, cast.owner, due_on=due_on, cadence=Cadence.MONTHLY)
    token = rotate(cast.owner)

    response = client_for(None).get(feed(token))

    assert response.status_code == 200
    event = events(response.content)[f"{obligation.public_id}@safeguard"]
    assert event["DTSTART"].dt == due_on  # type: ignore[attr-defined]
    if due_on < date.max:
        assert event["DTEND"].dt == due_on + timedelta(days=1)  # type: ignore[attr-defined]
    else:
        assert "DTEND" not in event  # a one-day all-day event (RFC 5545), without a date past the calendar's end
