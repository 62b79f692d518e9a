"""Every write of the risk app: keyword-only functions taking the organization and the actor, audited in their
transaction. Modules by subject: method, library, assets, flows, imports, analyses, risks, actions, acceptances,
triggers, sanctions, reports."""
