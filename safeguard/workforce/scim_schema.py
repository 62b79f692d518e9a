"""What the SCIM endpoint publishes: the User resource and its enterprise extension, cut down to the attributes a
person record stores, and the capabilities of the service.

An identity provider reads /Schemas to learn what it may send; publishing an attribute we would drop (phone
numbers, addresses) would make it believe the value was kept. Attributes we do not publish are ignored when a
client sends them anyway (ScimPolicy.Unknown.ignore): Microsoft Entra and Okta send displayName and phone numbers
whatever the schema says, and refusing them would stop provisioning altogether.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, model_validator
from scim2_models import (
    URN,
    AuthenticationScheme,
    Bulk,
    CaseExact,
    ChangePassword,
    ComplexAttribute,
    ETag,
    Extension,
    Filter,
    Patch,
    Reference,
    Required,
    Resource,
    ResourceType,
    ScimPolicy,
    ScimProvider,
    ServiceProviderConfig,
    Sort,
    Uniqueness,
)
from scim2_models.resources.resource import AnyExtension

from safeguard.workforce.models import WorkerType

CORE_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
WORK = "work"
MAX_RESULTS = 200


class Name(ComplexAttribute):
    given_name: str | None = None
    family_name: str | None = None


class Email(ComplexAttribute):
    """A person has one email, their work one: `primary` is not kept, and `type` is always "work" (Microsoft Entra
    addresses the email as emails[type eq "work"].value). Django's validator checks the address: pydantic's
    EmailStr refuses internal domains such as clinic.local that small practices use."""

    value: str | None = None
    type: Annotated[str | None, Field(examples=[WORK])] = None


class User(Resource[AnyExtension]):
    """A member of the organization's workforce (a person on the roster)."""

    __schema__ = URN(CORE_SCHEMA)

    user_name: Annotated[str | None, Uniqueness.server, Required.true] = None
    name: Name | None = None
    title: str | None = None
    user_type: Annotated[str | None, Field(examples=[label for _, label in WorkerType.choices])] = None
    active: bool | None = None
    emails: list[Email] | None = None


class Manager(ComplexAttribute):
    value: Annotated[str | None, Required.true, CaseExact.true] = None
    ref: Annotated[Reference[User] | None, Required.false] = Field(
        None, serialization_alias="$ref", validation_alias="$ref"
    )

    @model_validator(mode="before")
    @classmethod
    def _bare_id(cls, data: Any) -> Any:
        # Microsoft Entra sends the manager as the bare id: {"path": "…:manager", "value": "<id>"}.
        return {"value": data} if isinstance(data, str) else data


class EnterpriseUser(Extension):
    """The enterprise extension: employee number, department and manager."""

    __schema__ = URN(ENTERPRISE_SCHEMA)

    employee_number: Annotated[str | None, Uniqueness.server] = None
    department: str | None = None
    manager: Manager | None = None


BEARER = AuthenticationScheme(
    type=AuthenticationScheme.Type.oauthbearertoken,
    name="Bearer token",
    description="A SCIM token an owner creates for the organization, sent as 'Authorization: Bearer scim_…'.",
    primary=True,
)
CONFIG = ServiceProviderConfig(
    patch=Patch(supported=True),
    bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
    filter=Filter(supported=True, max_results=MAX_RESULTS),
    change_password=ChangePassword(supported=False),
    sort=Sort(supported=True),
    etag=ETag(supported=True),
    authentication_schemes=[BEARER],
)
# The tolerances are the ones Microsoft Entra needs: a PATCH remove carrying the value to remove, and a replace
# of emails[type eq "work"].value on a user who has no work email yet.
POLICY = ScimPolicy(
    unknown=ScimPolicy.Unknown.ignore,
    remove_value_as_filter=ScimPolicy.RemoveValue.apply,
    unmatched_path_filter=ScimPolicy.UnmatchedPathFilter.create,
)
PROVIDER = ScimProvider(
    models=[User, EnterpriseUser],
    resource_types=[ResourceType.from_resource(User[EnterpriseUser])],
    config=CONFIG,
    policy=POLICY,
)
USER_TYPE = PROVIDER.resource_types[0]
UserModel: type[User[EnterpriseUser]] = PROVIDER.model_for(USER_TYPE)  # type: ignore[assignment]
