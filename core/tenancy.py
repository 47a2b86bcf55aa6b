"""How a request names its tenant: the protocol the tenant layer implements and the schema documents."""

TENANT_HEADER = "X-Tenant"
TENANT_QUERY_PARAM = "tenant"
