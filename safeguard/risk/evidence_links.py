"""Risk records evidence may be linked to, named by public id."""

from django.db.models import Model

from safeguard.core.models import Organization
from safeguard.core.services.evidence import LinkTargetExists, linkable, uuid_or_none
from safeguard.risk.models import Asset, MitigationAction, Risk, RiskAnalysis, SanctionPolicy

LINKABLE_MODELS: dict[str, type[Model]] = {
    "risk.asset": Asset,
    "risk.riskanalysis": RiskAnalysis,
    "risk.risk": Risk,
    "risk.mitigationaction": MitigationAction,
    "risk.sanctionpolicy": SanctionPolicy,
}


def _exists_in(model: type[Model]) -> LinkTargetExists:
    def exists(organization: Organization, target_id: str) -> bool:
        public_id = uuid_or_none(target_id)
        return (
            public_id is not None
            and model._default_manager.filter(organization=organization, public_id=public_id).exists()
        )

    return exists


for _label, _model in LINKABLE_MODELS.items():
    linkable(_label)(_exists_in(_model))
